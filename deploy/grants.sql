-- The agent's MySQL account: least privilege (deploy/README.md, step 3).
-- Placeholders: @INFRAZEN_DB@ (InfraZen's schema), @AGENT_DB@ (the agent's own),
-- @AGENT_HOST@ (where the agent connects from), @AGENT_PASSWORD@.
CREATE DATABASE IF NOT EXISTS `@AGENT_DB@` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'infrazen_agent'@'@AGENT_HOST@' IDENTIFIED BY '@AGENT_PASSWORD@';
-- Its own tables (Django's and agent_*): everything, migrations included.
GRANT ALL PRIVILEGES ON `@AGENT_DB@`.* TO 'infrazen_agent'@'@AGENT_HOST@';
-- InfraZen's tables: read. LOCK TABLES lets MySQL 8 take the row lock a new chat session
-- takes on its user (SELECT ... FOR UPDATE); it grants no write.
GRANT SELECT, LOCK TABLES ON `@INFRAZEN_DB@`.* TO 'infrazen_agent'@'@AGENT_HOST@';
-- The chat tables InfraZen defines and the agent writes (facts §3.10): new rows and updates.
GRANT INSERT, UPDATE ON `@INFRAZEN_DB@`.`chat_sessions` TO 'infrazen_agent'@'@AGENT_HOST@';
GRANT INSERT, UPDATE ON `@INFRAZEN_DB@`.`chat_messages` TO 'infrazen_agent'@'@AGENT_HOST@';
-- The recommendation texts: three columns, nothing else of the row.
GRANT UPDATE (`ai_short_description`, `ai_detailed_description`, `ai_generated_at`)
    ON `@INFRAZEN_DB@`.`optimization_recommendations` TO 'infrazen_agent'@'@AGENT_HOST@';

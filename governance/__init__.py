"""Roles and budgets: what a role may do, which model and limits apply, and the counters that
hold those limits across workers (issue 20)."""

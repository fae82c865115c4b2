from __future__ import annotations

from django.core.management.base import BaseCommand

from chat.images import chat_images_purge


class Command(BaseCommand):
    help = (
        "Delete chat images older than CHAT_IMAGE_TTL_S (rows and files) and stray files "
        "in CHAT_UPLOAD_DIR. Run it from cron, e.g. every 10 minutes."
    )

    def handle(self, *args, **options):
        result = chat_images_purge()
        self.stdout.write(
            f"purged {result.images} expired chat images and {result.orphan_files} stray files"
        )

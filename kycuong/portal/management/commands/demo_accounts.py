from typing import Any

from django.core.management.base import BaseCommand

from kycuong.core.demodata import DEMO_PASSWORD
from kycuong.org.demo import DEMO_ACCOUNTS


class Command(BaseCommand):
    help = "Print the demo logins (one per role)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account['username']:<22} {account['role']}")

#!/usr/bin/env python
import os
import sys


def main():
    # Development by default, as a Django developer expects of manage.py on a fresh clone.
    # Deployments set DJANGO_SETTINGS_MODULE=chatsite.settings (deploy/): production settings.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings_dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""The `imroc` command: serving, the database, seeding, people, data and backups."""

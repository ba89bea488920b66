"""Stage: watch. Portals polled: ``fetch`` (HTTP, the address guard), ``discover`` (report links on a listing),
``poll`` (one source's pass: its listing, each document read, checked and stored as a version when it changed),
``timetable`` (every source on its interval: ``govmon run``) and ``service`` (the store, the fetcher, the
lock, delivery and signals wired: ``poll_once`` and ``serve``).
"""

"""Background jobs: batch reports and exports, on RQ/Redis when REDIS_URL is set, else in-process."""

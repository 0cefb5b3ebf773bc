#!/bin/sh
# Run once by the postgres image, on the first start with an empty data volume (compose.yaml):
# the database and its two roles, as deploy/database.sql makes them on a machine of its own.
set -eu
psql --username "$POSTGRES_USER" --dbname postgres --no-psqlrc \
  -v database=safespaces -v owner=safespaces_owner -v app=safespaces_app \
  -f /safespaces/database.sql

-- The SafeSpaces database and its two roles (docs/operations.md, Database roles), for psql 15 or
-- newer, as an administrator of the database server. On the same machine, with Debian's postgresql
-- (docs/operations.md, From a fresh Debian machine, step 4):
--
--   export SAFESPACES_OWNER_PASSWORD=... SAFESPACES_APP_PASSWORD=...
--   runuser -u postgres -- psql -v database=safespaces -v owner=safespaces_owner \
--     -v app=safespaces_app < deploy/database.sql
--
-- The passwords come from the environment (\getenv), so they are on no command line. Put the app
-- role's into DATABASE_URL in /etc/safespaces/env; keep the owner's with the operator, in the
-- password manager, not on the machine. Then, as the owner, `safespaces migrate` and
-- `safespaces grant_app_role safespaces_app`, which gives the app role its rights.

\set ON_ERROR_STOP on
\getenv owner_password SAFESPACES_OWNER_PASSWORD
\getenv app_password SAFESPACES_APP_PASSWORD

-- The owner runs migrate and grant_app_role: it owns the schema and every table, and so could
-- switch off the audit trail's triggers. The app servers never connect as it.
CREATE ROLE :"owner" LOGIN PASSWORD :'owner_password';
-- The app servers and the workers connect as this one. It owns nothing, may create nothing and
-- holds none of SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS (the defaults):
-- grant_app_role refuses a role that does.
CREATE ROLE :"app" LOGIN PASSWORD :'app_password';

CREATE DATABASE :"database" OWNER :"owner" ENCODING 'UTF8' TEMPLATE template0;
-- Only these two roles may connect (every role may by default).
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app";

\connect :"database"
-- Postgres 14 and older give the public schema to the server's administrator and let everyone
-- create in it; grant_app_role takes that right away, which only the schema's owner may do.
ALTER SCHEMA public OWNER TO :"owner";

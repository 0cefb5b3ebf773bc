"""An S3-compatible server on this machine: moto in server mode on a free port of 127.0.0.1, with
a bucket of the test's own. The app reaches it over HTTP as it would reach any object storage,
through the `attachments` storage (in this process) or the ATTACHMENTS_S3_* variables (in app
servers started by a test); the test looks into the bucket with its own client."""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from tests.servers import free_port

# The server logs every request at INFO: the tests read the bucket instead.
logging.getLogger("werkzeug").setLevel(logging.WARNING)
ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION = "safespaces-test", "not-a-secret", "us-east-1"
# Anyone and any AWS account: an object granted to either is public.
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            region_name=REGION,
        )

    def objects(self) -> dict[str, bytes]:
        """Every object in the bucket: its name and its bytes as stored."""
        client = self.client()
        listed = client.list_objects_v2(Bucket=self.name).get("Contents", [])
        return {
            entry["Key"]: client.get_object(Bucket=self.name, Key=entry["Key"])["Body"].read()
            for entry in listed
        }

    def public_grants(self, key: str) -> list[dict[str, Any]]:
        grants = self.client().get_object_acl(Bucket=self.name, Key=key)["Grants"]
        return [grant for grant in grants if grant["Grantee"].get("URI") in PUBLIC_GRANTEES]

    def storage(self) -> dict[str, Any]:
        """The `attachments` entry of STORAGES that ATTACHMENTS_S3_* give (safespaces.settings)."""
        return {
            "BACKEND": "safespaces.objectstorage.PrivateS3Storage",
            "OPTIONS": {
                "bucket_name": self.name,
                "endpoint_url": self.endpoint,
                "region_name": REGION,
                "addressing_style": "path",
                "access_key": ACCESS_KEY_ID,
                "secret_key": SECRET_ACCESS_KEY,
            },
        }

    def environment(self) -> dict[str, str]:
        """The variables that point an app server at this bucket."""
        return {
            "ATTACHMENTS_DIR": "",
            "ATTACHMENTS_S3_BUCKET": self.name,
            "ATTACHMENTS_S3_ENDPOINT_URL": self.endpoint,
            "ATTACHMENTS_S3_REGION": REGION,
            "ATTACHMENTS_S3_ADDRESSING_STYLE": "path",
            "ATTACHMENTS_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "ATTACHMENTS_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        }


class ObjectStorageServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        # Imported here: half a second that modules importing this one pay only when they serve.
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def new_bucket(self) -> Bucket:
        """An empty, private bucket (as S3 makes them) under a name no other test uses."""
        bucket = Bucket(self.endpoint, f"safespaces-test-{uuid.uuid4().hex[:12]}")
        bucket.client().create_bucket(Bucket=bucket.name)
        return bucket


@contextmanager
def object_storage_server() -> Iterator[ObjectStorageServer]:
    server = ObjectStorageServer()
    server._server.start()
    try:
        yield server
    finally:
        server._server.stop()

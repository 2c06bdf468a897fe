"""Private files in an S3-compatible bucket, when configured (settings, # STORAGE).

A module of its own: boto3 takes ~0,2 s to import, which no process pays unless it is
configured to use a bucket.
"""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from portal.storage import NO_PUBLIC_URL


class PrivateS3Storage(S3Storage):
    """The same private files in an S3-compatible bucket (AWS S3, Scaleway, OVH, MinIO…).

    Objects are written private (no ACL granting anyone a read) and never overwritten (a
    second file of the same name gets a suffix, as on disk); they reach a browser only
    through the same views, streamed by the web process: a presigned URL would outlive the
    check of who asks.
    """

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError(NO_PUBLIC_URL)

from django.db import models


class SearchKeyField(models.CharField):
    """A CharField compared byte-wise on every engine, so prefix ranges use a plain B-tree index.

    SQLite's default collation is already binary; on PostgreSQL the column gets COLLATE "C"
    (a linguistic collation would make `key >= 'zs' AND key < 'zs\\U0010ffff'` unreliable).
    """

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params

"""Alembic environment: migrates the configured database using the project's models."""

from alembic import context

# Importing the model modules registers their tables on Base.metadata.
import consultant.codes.models  # noqa: F401,E402
import consultant.storage.models  # noqa: F401,E402
from consultant.storage.base import Base
from consultant.storage.db import get_engine
from consultant.storage.migrate import include_object

target_metadata = Base.metadata

def run_migrations() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    engine = get_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the original, which a
            # referencing foreign key would block. The pragma is a no-op inside a
            # transaction, so it is set before the migration's transaction begins.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


run_migrations()

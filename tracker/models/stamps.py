"""Change stamps: a token per table that changes whenever that table's rows change."""

from sqlmodel import Field, SQLModel


class ChangeStamp(SQLModel, table=True):
    """The latest change token of one table; cached pages and figures are checked against it."""

    table_name: str = Field(primary_key=True, max_length=64)
    token: str = Field(max_length=32)

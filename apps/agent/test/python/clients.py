"""Python client parity for masking: psycopg2 and asyncpg through Postern.

Usage: clients.py HOST PORT DATABASE USER PASSWORD
Prints one JSON object per scenario: {"name", "ok", "error", "text"}, where "text" is everything
the client got back (rows, COPY output), for the test to look for masked and real values.
Every scenario runs even when an earlier one fails; a failure is reported, not raised.
"""

import asyncio
import io
import json
import sys
import traceback

import asyncpg
import psycopg2

HOST, PORT, DATABASE, USER, PASSWORD = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
DSN = dict(host=HOST, port=PORT, dbname=DATABASE, user=USER, password=PASSWORD, sslmode="disable")

# A contact that the email detector must catch wherever it travels.
PLANTED_EMAIL = "planted.person.4711@example.org"


def report(name, run):
    try:
        text = run()
        print(json.dumps({"name": name, "ok": True, "error": "", "text": text}), flush=True)
    except Exception as error:  # noqa: BLE001 - every failure is reported to the test
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        print(json.dumps({"name": name, "ok": False, "error": detail, "text": ""}), flush=True)


def psycopg2_connection():
    connection = psycopg2.connect(**DSN)
    return connection


def create_then_copy():
    """A table created and filled in one transaction, then COPY t TO STDOUT in that transaction."""
    connection = psycopg2_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE py_fresh (id int, label text, contact text)")
            cursor.execute(
                "INSERT INTO py_fresh VALUES (1, 'fresh-label-one', %s), (2, 'fresh-label-two', 'none')",
                (PLANTED_EMAIL,),
            )
            buffer = io.StringIO()
            cursor.copy_expert("COPY py_fresh TO STDOUT", buffer)
            return buffer.getvalue()
    finally:
        connection.rollback()
        connection.close()


def temp_tables():
    connection = psycopg2_connection()
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE py_temp (id int, label text, contact text)")
            cursor.execute("INSERT INTO py_temp VALUES (1, 'temp-label', %s)", (PLANTED_EMAIL,))
            cursor.execute("SELECT id, label, contact FROM py_temp")
            rows = cursor.fetchall()
            cursor.execute("CREATE TEMP TABLE py_temp_names AS SELECT id, name FROM customers")
            cursor.execute("SELECT name FROM py_temp_names ORDER BY id")
            rows += cursor.fetchall()
            cursor.execute("SELECT t.label, c.card_number FROM py_temp t JOIN customers c ON c.id = t.id")
            rows += cursor.fetchall()
            return repr(rows)
    finally:
        connection.close()


def named_cursor():
    connection = psycopg2_connection()
    try:
        with connection.cursor(name="py_server_side") as cursor:
            cursor.itersize = 1
            cursor.execute("SELECT id, name, email, card_number, notes FROM customers ORDER BY id")
            rows = cursor.fetchmany(2)
            rows += cursor.fetchall()
            return repr(rows)
    finally:
        connection.rollback()
        connection.close()


def copy_to():
    connection = psycopg2_connection()
    try:
        with connection.cursor() as cursor:
            buffer = io.StringIO()
            cursor.copy_to(buffer, "customers", columns=("id", "name", "email", "card_number", "notes"))
            return buffer.getvalue()
    finally:
        connection.rollback()
        connection.close()


async def asyncpg_connection():
    return await asyncpg.connect(host=HOST, port=PORT, database=DATABASE, user=USER, password=PASSWORD, ssl=False)


async def copy_from_query():
    connection = await asyncpg_connection()
    try:
        buffer = io.BytesIO()
        await connection.copy_from_query(
            "SELECT id, name, card_number, email FROM customers WHERE id = $1", 1, output=buffer
        )
        return buffer.getvalue().decode("utf-8", "replace")
    finally:
        await connection.close()


async def copy_records_to_table():
    connection = await asyncpg_connection()
    try:
        await connection.execute("CREATE TEMP TABLE py_import (id int, label text, contact text)")
        await connection.copy_records_to_table(
            "py_import", records=[(1, "imported-label", PLANTED_EMAIL), (2, "imported-other", "none")]
        )
        rows = await connection.fetch("SELECT id, label, contact FROM py_import ORDER BY id")
        return repr([tuple(row) for row in rows])
    finally:
        await connection.close()


async def copy_from_table():
    connection = await asyncpg_connection()
    try:
        buffer = io.BytesIO()
        await connection.copy_from_table(
            "customers", columns=["id", "name", "email", "card_number", "notes"], output=buffer
        )
        return buffer.getvalue().decode("utf-8", "replace")
    finally:
        await connection.close()


async def prepared_statements():
    connection = await asyncpg_connection()
    try:
        statement = await connection.prepare("SELECT id, name, card_number, notes FROM customers WHERE id = $1")
        rows = [tuple(await statement.fetchrow(1)), tuple(await statement.fetchrow(2)), tuple(await statement.fetchrow(1))]
        return repr(rows)
    finally:
        await connection.close()


async def binary_results():
    """asyncpg asks for binary results for every type it knows."""
    connection = await asyncpg_connection()
    try:
        rows = await connection.fetch("SELECT id, name, email, phone, iban, card_number, notes FROM customers ORDER BY id")
        total = await connection.fetchval("SELECT sum(total) FROM orders")
        count = await connection.fetchval("SELECT count(*) FROM customers WHERE card_number LIKE '4539%'")
        return repr([tuple(row) for row in rows]) + f" total={total} count={count}"
    finally:
        await connection.close()


def main():
    for name, run in [
        ("psycopg2 create-then-COPY in one transaction", create_then_copy),
        ("psycopg2 temp tables", temp_tables),
        ("psycopg2 named (server-side) cursor", named_cursor),
        ("psycopg2 copy_to", copy_to),
    ]:
        report(name, run)
    for name, run in [
        ("asyncpg copy_from_query", copy_from_query),
        ("asyncpg copy_records_to_table", copy_records_to_table),
        ("asyncpg copy_from_table", copy_from_table),
        ("asyncpg prepared statements", prepared_statements),
        ("asyncpg binary results", binary_results),
    ]:
        report(name, lambda run=run: asyncio.run(asyncio.wait_for(run(), 20)))


if __name__ == "__main__":
    main()

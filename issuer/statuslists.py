"""The city's status lists: random index allocation, revocation, signed list tokens.

Each list is an IETF Token Status List of 1-bit entries (0 valid, 1 revoked),
created full-size and all valid, published at ``f"{base_uri}/{list_id}"``.
Beside its bits the issuer keeps one allocation bitmap per list (1 = handed
out). Nothing else: no row per credential, no time of allocation, so the
database cannot say which index belongs to whom or when it was issued.

Allocation picks indices uniformly at random (``secrets``) among all unused
entries of the lists with room, and opens a new list when they cannot hold the
request. An index is never handed out twice, even to concurrent threads,
processes or issuer instances: the allocation bitmap is read and written in
one transaction that holds the SQLite write lock (``BEGIN IMMEDIATE``) or, on
PostgreSQL, row locks on the lists it draws from (``SELECT ... FOR UPDATE``,
always in ascending ``list_id`` order, so two allocators cannot deadlock).

Renewal links (table ``renewals``): a credential presented for renewal is spent,
and each credential of the batch issued for it is linked to it, by status
references alone. Revocation follows the links: revoking a reference revokes
every batch renewed from it, and from those, transitively, so a receipt keeps
its power over whatever a copy of the wallet renewed. A link is written only
while the spent credential's list row is locked and its bit read valid, and
revocation locks the list rows of everything it reaches before it reads the
links onward; so a renewal and a revocation of the same credential serialise:
either the revocation sees the link, or the renewal sees the bit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from issuer.db import read_transaction, renewals, status_lists, write_transaction
from wallet_spec.errors import AlreadyRenewed, Revoked, StatusRefUnknown, UsageError
from wallet_spec.jwk import PrivateKey
from wallet_spec.statuslist import MAX_LIST_BYTES, StatusList, sign_token

DEFAULT_LIST_SIZE = 131_072
"""Entries per list: 16 KiB of bits, a few hundred bytes compressed while few are revoked."""

_CHUNK = 1024
"""Bytes per block when searching a bitmap for its k-th free entry."""
_RETRYABLE = frozenset({"40P01", "40001"})
"""PostgreSQL deadlock_detected and serialization_failure: the transaction may simply run again."""
_ATTEMPTS = 5

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class StatusRef:
    """Where a credential's status lives: the credential's `status.status_list {uri, idx}`."""

    uri: str
    idx: int


class StatusRegistry:
    """Status lists in the issuer's database; safe to share between threads.

    A database holds one issuer's lists: `base_uri` only names them (list
    `n` is published at `{base_uri}/n`, numbered from 1), so every instance
    of the issuer must be configured with the same `base_uri`.
    """

    def __init__(self, engine: Engine, base_uri: str, *, list_size: int = DEFAULT_LIST_SIZE) -> None:
        if not isinstance(base_uri, str) or not base_uri.rstrip("/"):
            raise UsageError("base_uri must be a non-empty URI")
        if not 0 < list_size <= MAX_LIST_BYTES * 8 or list_size % 8:
            raise UsageError(f"list_size must be a positive multiple of 8, at most {MAX_LIST_BYTES * 8}")
        self.engine = engine
        self.base_uri = base_uri.rstrip("/")
        self.list_size = list_size

    def uri(self, list_id: int) -> str:
        return f"{self.base_uri}/{list_id}"

    def _list_id(self, uri: Any) -> int | None:
        prefix = self.base_uri + "/"
        if not isinstance(uri, str) or not uri.startswith(prefix):
            return None
        tail = uri[len(prefix) :]
        if not tail.isascii() or not tail.isdigit() or tail != str(int(tail)):
            return None
        return int(tail)

    # --- allocation -------------------------------------------------------

    def allocate(self, n: int) -> list[StatusRef]:
        """`n` never-used indices, chosen uniformly at random; committed before they are returned."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise UsageError("the number of status indices must be a non-negative integer")
        if n == 0:
            return []
        return _retrying(lambda: self._allocate_once(n))

    def _allocate_once(self, n: int) -> list[StatusRef]:
        with write_transaction(self.engine) as conn:
            held: dict[int, tuple[bytearray, int]] = {}
            while True:
                # Each pass reads afresh, so on PostgreSQL it also sees lists that concurrent
                # allocators committed while this one waited for a lock: they are used, not doubled.
                self._lock_lists_with_room(conn, held)
                if sum(free for _, free in held.values()) >= n:
                    break
                self._open_list(conn, held)
            picks = self._pick(held, n)
            for list_id, positions in picks.items():
                bitmap, free = held[list_id]
                for pos in positions:
                    bitmap[pos >> 3] |= 1 << (pos & 7)
                conn.execute(
                    update(status_lists)
                    .where(status_lists.c.list_id == list_id)
                    .values(allocated=bytes(bitmap), unallocated=free - len(positions))
                )
        refs = [StatusRef(self.uri(list_id), pos) for list_id, positions in picks.items() for pos in positions]
        secrets.SystemRandom().shuffle(refs)
        return refs

    def _lock_lists_with_room(self, conn: Connection, held: dict[int, tuple[bytearray, int]]) -> None:
        """Lock (PostgreSQL) and read every list with room not yet held, in ascending id order."""
        query = select(status_lists.c.list_id, status_lists.c.allocated, status_lists.c.unallocated).where(
            status_lists.c.unallocated > 0
        )
        if held:
            query = query.where(status_lists.c.list_id.not_in(list(held)))
        for row in conn.execute(query.order_by(status_lists.c.list_id).with_for_update()):
            held[row.list_id] = (bytearray(row.allocated), row.unallocated)

    def _open_list(self, conn: Connection, held: dict[int, tuple[bytearray, int]]) -> None:
        """Add the next list, full-size and all valid, unless a concurrent allocator just did.

        On PostgreSQL the lock-taking read may have waited and so missed lists
        committed meanwhile; this fresh read sees them. If one has room, the
        caller's next pass locks it rather than opening another list.
        """
        room = status_lists.c.unallocated > 0
        if held:
            room = and_(room, status_lists.c.list_id.not_in(list(held)))
        last, others_with_room = conn.execute(
            select(func.coalesce(func.max(status_lists.c.list_id), 0), func.count(case((room, 1))))
        ).one()
        if others_with_room:
            return
        empty = bytes(self.list_size // 8)
        values = {"list_id": last + 1, "status": empty, "allocated": empty, "unallocated": self.list_size}
        dialect = conn.dialect.name
        stmt: Insert
        if dialect == "postgresql":
            stmt = postgresql.insert(status_lists).values(values).on_conflict_do_nothing()
        elif dialect == "sqlite":
            stmt = sqlite.insert(status_lists).values(values).on_conflict_do_nothing()
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise UsageError(f"unsupported database {dialect}")
        # On PostgreSQL a concurrent insert of the same id makes this wait for that transaction:
        # if it commits, we do nothing here and draw from its list instead.
        conn.execute(stmt)

    @staticmethod
    def _pick(held: dict[int, tuple[bytearray, int]], n: int) -> dict[int, list[int]]:
        """Choose `n` distinct free entries uniformly among all free entries of `held`."""
        order = sorted(held)
        total = sum(held[list_id][1] for list_id in order)
        ranks = _sample(total, n)
        picks: dict[int, list[int]] = {}
        i, offset = 0, 0
        for list_id in order:
            bitmap, free = held[list_id]
            mine = []
            while i < len(ranks) and ranks[i] < offset + free:
                mine.append(ranks[i] - offset)
                i += 1
            if mine:
                picks[list_id] = _free_positions(bytes(bitmap), mine)
            offset += free
        return picks

    # --- revocation -------------------------------------------------------

    def revoke(self, refs: Iterable[StatusRef]) -> int:
        """Set the bits of `refs` and of every credential renewed from them, transitively.

        Durable when this returns. Returns how many were not yet revoked.
        All or nothing: if any reference names an unknown list or an index
        that was never allocated, `StatusRefUnknown` is raised and no bit
        changes. Revoking an already revoked index is not an error.
        """
        wanted = self._wanted(refs)
        if not wanted:
            return 0
        return _retrying(lambda: self._revoke_once(wanted))

    def _wanted(self, refs: Iterable[StatusRef]) -> set[tuple[int, int]]:
        wanted: set[tuple[int, int]] = set()
        for ref in refs:
            wanted.add(self._position(ref))
        return wanted

    def _position(self, ref: StatusRef) -> tuple[int, int]:
        list_id = self._list_id(getattr(ref, "uri", None))
        idx = getattr(ref, "idx", None)
        if list_id is None:
            raise StatusRefUnknown("a status reference names a list this issuer does not publish")
        if isinstance(idx, bool) or not isinstance(idx, int) or idx < 0:
            raise StatusRefUnknown("a status reference's index is not a non-negative integer")
        return list_id, idx

    def _revoke_once(self, wanted: set[tuple[int, int]]) -> int:
        with write_transaction(self.engine) as conn:
            return self._revoke_in(conn, wanted)

    def _revoke_in(self, conn: Connection, wanted: set[tuple[int, int]]) -> int:
        """Revoke `wanted` and everything renewed from it, inside the caller's write transaction."""
        _durable(conn)
        rows: dict[int, tuple[bytearray, bytes, bytes]] = {}
        reached, frontier = set(wanted), set(wanted)
        while frontier:
            # Lock the lists of this step's credentials before reading the links onward: a renewal
            # links a credential only while it holds that credential's list row.
            self._lock_for_revocation(conn, {list_id for list_id, _ in frontier} - rows.keys(), rows)
            for list_id, idx in frontier:
                allocated = rows[list_id][1]
                byte, bit = idx >> 3, 1 << (idx & 7)
                if byte >= len(allocated) or not allocated[byte] & bit:
                    raise StatusRefUnknown("a status reference names an index that was never allocated")
            frontier = self._renewed_from(conn, frontier) - reached
            reached |= frontier
        changed = 0
        for list_id, idx in reached:
            status = rows[list_id][0]
            byte, bit = idx >> 3, 1 << (idx & 7)
            if not status[byte] & bit:
                status[byte] |= bit
                changed += 1
        for list_id, (status, _, original) in sorted(rows.items()):
            if status != original:
                conn.execute(update(status_lists).where(status_lists.c.list_id == list_id).values(status=bytes(status)))
        return changed

    @staticmethod
    def _lock_for_revocation(
        conn: Connection, list_ids: set[int], rows: dict[int, tuple[bytearray, bytes, bytes]]
    ) -> None:
        if not list_ids:
            return
        found = conn.execute(
            select(status_lists.c.list_id, status_lists.c.status, status_lists.c.allocated)
            .where(status_lists.c.list_id.in_(sorted(list_ids)))
            .order_by(status_lists.c.list_id)
            .with_for_update()
        ).all()
        if len(found) != len(list_ids):
            raise StatusRefUnknown("a status reference names a list that does not exist")
        for row in found:
            rows[row.list_id] = (bytearray(row.status), bytes(row.allocated), bytes(row.status))

    @staticmethod
    def _renewed_from(conn: Connection, positions: set[tuple[int, int]]) -> set[tuple[int, int]]:
        """The credentials of the batches renewed from `positions` (one step, not transitive)."""
        found: set[tuple[int, int]] = set()
        ordered = sorted(positions)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            query = select(renewals.c.to_list, renewals.c.to_idx).where(
                tuple_(renewals.c.from_list, renewals.c.from_idx).in_(chunk)
            )
            found.update((row.to_list, row.to_idx) for row in conn.execute(query))
        return found

    # --- renewal ------------------------------------------------------------

    def renewed(self, ref: StatusRef) -> bool:
        """Whether `ref`'s credential was already presented for a renewal (a read, for an early refusal)."""
        list_id, idx = self._position(ref)
        with read_transaction(self.engine) as conn:
            return bool(conn.execute(select(self._renewed(list_id, idx))).scalar())

    @staticmethod
    def _renewed(list_id: int, idx: int) -> Any:
        return exists().where(renewals.c.from_list == list_id, renewals.c.from_idx == idx)

    def renew(
        self,
        spent: StatusRef,
        successors: Sequence[StatusRef],
        *,
        expires: int,
        revoke: Iterable[StatusRef] = (),
    ) -> int:
        """Spend `spent` for the batch `successors`, in one transaction; returns how many `revoke` newly revoked.

        Raises `Revoked` if `spent` is revoked and `AlreadyRenewed` if it was already spent,
        and then changes nothing. Otherwise `revoke` (the old receipts a holder hands in)
        is revoked with whatever was renewed from it before, and each successor is linked
        to `spent` until `expires` (the batch's expiry; links leading to it are kept as long).
        Concurrent renewals with one credential: exactly one succeeds.
        """
        position = self._position(spent)
        news = [self._position(ref) for ref in successors]
        if not news or len(set(news)) != len(news):
            raise UsageError("a renewal links one or more distinct new status references")
        old = self._wanted(revoke)
        return _retrying(lambda: self._renew_once(position, news, expires, old))

    def _renew_once(
        self, spent: tuple[int, int], news: list[tuple[int, int]], expires: int, old: set[tuple[int, int]]
    ) -> int:
        list_id, idx = spent
        with write_transaction(self.engine) as conn:
            _durable(conn)
            row = conn.execute(
                select(status_lists.c.status).where(status_lists.c.list_id == list_id).with_for_update()
            ).one_or_none()
            if row is None:
                raise StatusRefUnknown("the presented credential's status list does not exist")
            status = bytes(row.status)
            if idx >> 3 >= len(status):
                raise StatusRefUnknown("the presented credential's status index is outside its list")
            if status[idx >> 3] & (1 << (idx & 7)):
                raise Revoked("this credential is revoked")
            if conn.execute(select(self._renewed(list_id, idx))).scalar():
                raise AlreadyRenewed("this credential was already used to renew; a credential renews once")
            revoked = self._revoke_in(conn, old) if old else 0  # before the new links: never the new batch
            conn.execute(
                insert(renewals),
                [
                    {"from_list": list_id, "from_idx": idx, "to_list": to_list, "to_idx": to_idx, "expires": expires}
                    for to_list, to_idx in news
                ],
            )
            self._keep_links_to(conn, spent, expires)
        return revoked

    @staticmethod
    def _keep_links_to(conn: Connection, position: tuple[int, int], expires: int) -> None:
        """Keep the chain of links leading to `position` until `expires`, so an old receipt still reaches it."""
        seen = set()
        while position not in seen:
            seen.add(position)
            to = and_(renewals.c.to_list == position[0], renewals.c.to_idx == position[1])
            parent = conn.execute(select(renewals.c.from_list, renewals.c.from_idx).where(to)).one_or_none()
            if parent is None:
                return
            conn.execute(update(renewals).where(to, renewals.c.expires < expires).values(expires=expires))
            position = (parent.from_list, parent.from_idx)

    # --- publication ------------------------------------------------------

    def lists(self) -> list[tuple[str, StatusList]]:
        """Every list, oldest first, as (uri, bits)."""
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                select(status_lists.c.list_id, status_lists.c.status).order_by(status_lists.c.list_id)
            ).all()
        return [(self.uri(row.list_id), StatusList(1, bytearray(row.status))) for row in rows]

    def sign_tokens(self, key: PrivateKey, kid: str, *, now: int, ttl: int, lifetime: int) -> list[str]:
        """One `statuslist+jwt` per list: `iat` now, `exp` now + lifetime, `ttl` the refresh hint."""
        if ttl <= 0 or lifetime <= 0:
            raise UsageError("ttl and lifetime must be positive")
        return [
            sign_token(sl, uri=uri, key=key, kid=kid, iat=now, exp=now + lifetime, ttl=ttl) for uri, sl in self.lists()
        ]


def _durable(conn: Connection) -> None:
    """Durable before the transaction's commit returns, whatever PostgreSQL's default: wait for the WAL flush."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL synchronous_commit = on"))


def sweep_renewals(conn: Connection, *, now: int) -> None:
    """Delete the renewal links through which no unexpired credential can be reached any more."""
    conn.execute(delete(renewals).where(renewals.c.expires <= now))


def _sample(population: int, n: int) -> list[int]:
    """`n` distinct integers below `population`, uniformly at random (Floyd's algorithm), sorted."""
    chosen: set[int] = set()
    for j in range(population - n, population):
        t = secrets.randbelow(j + 1)
        chosen.add(j if t in chosen else t)
    return sorted(chosen)


def _zeros(block: bytes) -> int:
    return len(block) * 8 - int.from_bytes(block, "little").bit_count()


def _free_positions(bitmap: bytes, ranks: list[int]) -> list[int]:
    """The positions of the `ranks`-th zero bits (sorted ranks, LSB-first bitmap): block, word, bit."""
    block_zeros = [_zeros(bitmap[b : b + _CHUNK]) for b in range(0, len(bitmap), _CHUNK)]
    out = []
    for rank in ranks:
        k = rank
        block = 0
        while k >= block_zeros[block]:
            k -= block_zeros[block]
            block += 1
        word_start = block * _CHUNK
        while True:
            word = bitmap[word_start : word_start + 8]
            zeros = _zeros(word)
            if k < zeros:
                break
            k -= zeros
            word_start += 8
        free = ~int.from_bytes(word, "little") & ((1 << (8 * len(word))) - 1)
        for _ in range(k):
            free &= free - 1  # drop the lowest free bit
        out.append(word_start * 8 + (free & -free).bit_length() - 1)
    return out


def _retrying(work: Callable[[], _T]) -> _T:
    """Run a transaction again when PostgreSQL aborted it as a deadlock or serialization victim."""
    for attempt in range(_ATTEMPTS):
        try:
            return work()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in _RETRYABLE or attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["DEFAULT_LIST_SIZE", "StatusRef", "StatusRegistry", "sweep_renewals"]

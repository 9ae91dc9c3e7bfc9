"""The SQLite archive's schema, as the ordered migrations that build it.

Each migration is frozen once released: an archive made by an older scraper is brought up to
date by running the migrations it has not seen, in order, in one transaction, when it is opened
for writing (`schema_version` records each step). Never edit a released step; append one.
"""
from __future__ import annotations

# Version 1: the schema as first released (runs, frontier, pages, articles with versions and
# aliases, trigram full-text index over title and body).
V1 = """
CREATE TABLE "runs" (
   "id" INTEGER PRIMARY KEY, "started_at" TEXT, "ended_at" TEXT, "args" TEXT, "outcome" TEXT,
   "pages_fetched" INTEGER, "not_modified" INTEGER, "articles_new" INTEGER,
   "articles_changed" INTEGER, "articles_unchanged" INTEGER, "errors" INTEGER, "stats" TEXT,
   "pid" INTEGER
);
CREATE TABLE "frontier" (
   "url" TEXT PRIMARY KEY, "fetch_url" TEXT, "site" TEXT, "kind" TEXT,
   "depth" INTEGER DEFAULT 0, "priority" INTEGER DEFAULT 5, "state" TEXT DEFAULT 'pending',
   "attempts" INTEGER DEFAULT 0, "reason" TEXT, "lastmod" TEXT, "fetched_lastmod" TEXT,
   "discovered_from" TEXT, "discovered_at" TEXT, "done_at" TEXT, "run_id" INTEGER
);
CREATE INDEX "idx_frontier_state_site_priority" ON "frontier" ("state", "site", "priority");
CREATE TABLE "pages" (
   "url" TEXT PRIMARY KEY, "site" TEXT, "final_url" TEXT, "status" INTEGER, "reason" TEXT,
   "content_type" TEXT, "encoding" TEXT, "etag" TEXT, "last_modified" TEXT, "size" INTEGER,
   "raw" BLOB, "fetched_at" TEXT, "run_id" INTEGER
);
CREATE TABLE "articles" (
   "url" TEXT PRIMARY KEY, "site" TEXT, "title" TEXT, "published_at" TEXT, "author" TEXT,
   "source" TEXT, "editor" TEXT, "body" TEXT, "images" TEXT, "attachments" TEXT,
   "prev_url" TEXT, "next_url" TEXT, "canonical_url" TEXT, "encoding" TEXT,
   "content_hash" TEXT, "version" INTEGER, "first_seen" TEXT, "last_seen" TEXT, "run_id" INTEGER
);
CREATE INDEX "idx_articles_site_published_at" ON "articles" ("site", "published_at");
CREATE INDEX "idx_articles_content_hash" ON "articles" ("content_hash");
CREATE TABLE "article_versions" (
   "id" INTEGER PRIMARY KEY, "url" TEXT, "version" INTEGER, "title" TEXT, "published_at" TEXT,
   "author" TEXT, "source" TEXT, "editor" TEXT, "body" TEXT, "content_hash" TEXT,
   "first_seen" TEXT, "last_seen" TEXT, "run_id" INTEGER
);
CREATE INDEX "idx_article_versions_url" ON "article_versions" ("url");
CREATE TABLE "aliases" ("alias" TEXT PRIMARY KEY, "url" TEXT, "found_at" TEXT);
-- Trigram FTS answers Chinese substring search without a word segmenter.
CREATE VIRTUAL TABLE "articles_fts" USING FTS5 ("title", "body", tokenize='trigram', content="articles");
CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END;
CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
END;
CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END;
"""

# Version 2: the version lives in `schema_version`; the `meta` table held nothing else.
V2 = """
DROP TABLE IF EXISTS "meta";
"""

# Version 3: learned per-site state — the yield of each URL pattern (see `scraper.yields`).
V3 = """
CREATE TABLE "url_patterns" (
   "site" TEXT, "pattern" TEXT, "fetched" INTEGER, "yielded" INTEGER, "articles" INTEGER,
   "idle" INTEGER, "alias" TEXT, PRIMARY KEY ("site", "pattern")
);
"""

# Version 4: reading. A two-character word at the very end of a title or body has no trigram of
# its own, so search looks it up by these tail indexes (the rest through the trigram index);
# `run_id` finds what a run stored; `article_list` adds the month for browsing (serve).
V4 = """
CREATE INDEX "idx_articles_title_tail" ON "articles" (substr("title", -2));
CREATE INDEX "idx_articles_body_tail" ON "articles" (substr("body", -2));
CREATE INDEX "idx_articles_run_id" ON "articles" ("run_id");
CREATE INDEX "idx_pages_status" ON "pages" ("status");
CREATE VIEW "article_list" AS SELECT rowid, url, site, substr(published_at, 1, 7) AS month, published_at, title,
   source, author, editor, images, attachments, version, first_seen, last_seen, run_id FROM articles;
"""

# Version 5: downloaded attachments (a site's `download_files`), content-addressed: one row per
# distinct content (sha256, compressed bytes, MIME), one per URL it was fetched from (with its
# validators for conditional GET); `article_files` links them to the articles that list them.
V5 = """
CREATE TABLE "files" ("sha256" TEXT PRIMARY KEY, "size" INTEGER, "mime" TEXT, "content" BLOB, "first_seen" TEXT);
CREATE TABLE "file_urls" (
   "url" TEXT PRIMARY KEY, "link_url" TEXT, "site" TEXT, "sha256" TEXT, "etag" TEXT, "last_modified" TEXT,
   "fetched_at" TEXT, "run_id" INTEGER
);
CREATE INDEX "idx_file_urls_link_url" ON "file_urls" ("link_url");
CREATE VIEW "article_files" AS SELECT a.url AS article_url, a.site, json_extract(j.value, '$.text') AS text,
   u.url AS file_url, f.sha256, f.mime, f.size
   FROM articles a JOIN json_each(a.attachments) j
   JOIN file_urls u ON u.link_url = json_extract(j.value, '$.url') JOIN files f ON f.sha256 = u.sha256;
"""

# Version 6: the search index is filled in batches (`SqliteArchive.update_search_index`, at the
# end of a crawl run), not by a trigger per inserted article: trigram-indexing an article cost
# the crawler's loop ~6 ms, more than all its other work on the page. `search_indexed.upto` is
# the highest articles rowid the index covers; search scans the rows above it. Rows the index
# covers stay in step row by row: deleting one or changing its title/body updates the index
# (a changed last_seen no longer re-indexes the article), and a new row that reuses a covered
# rowid is indexed at once.
V6 = """
DROP TRIGGER "articles_ai";
DROP TRIGGER "articles_ad";
DROP TRIGGER "articles_au";
CREATE TABLE "search_indexed" ("upto" INTEGER NOT NULL);
INSERT INTO "search_indexed" ("upto") SELECT COALESCE(MAX(rowid), 0) FROM "articles";
CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles"
WHEN new.rowid <= (SELECT "upto" FROM "search_indexed") BEGIN
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END;
CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles"
WHEN old.rowid <= (SELECT "upto" FROM "search_indexed") BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
END;
CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "body" ON "articles"
WHEN old.rowid <= (SELECT "upto" FROM "search_indexed") BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "body") VALUES('delete', old.rowid, old."title", old."body");
  INSERT INTO "articles_fts" (rowid, "title", "body") VALUES (new.rowid, new."title", new."body");
END;
"""

# Version 7: a multi-page article (5001.htm, 5001_2.htm, …) is one record; how many pages it had.
V7 = """
ALTER TABLE "articles" ADD COLUMN "page_count" INTEGER DEFAULT 1;
"""

# Version 8: how each field of an article was found (`Article.evidence`, JSON), so weak
# evidence (a date from the URL, a title from <title> alone) can be counted per site.
V8 = """
ALTER TABLE "articles" ADD COLUMN "evidence" TEXT;
"""

# Version 9: "what changed since run N" answered from indexes alone. A row's run_id, version and
# first_seen sit after `body` in the record (and a page's run_id after `raw`), so reading them
# from the table walks every changed article's body overflow pages (3 s for 3000 changes in a
# 1 GB archive); these covering indexes hold the few small columns `changes` reads. They
# replace the narrower indexes they start with.
V9 = """
CREATE INDEX "idx_articles_run_changes" ON "articles" ("run_id", "site", "url", "title", "version", "first_seen");
DROP INDEX "idx_articles_run_id";
CREATE INDEX "idx_article_versions_url_run" ON "article_versions" ("url", "run_id");
DROP INDEX "idx_article_versions_url";
CREATE INDEX "idx_pages_status_run" ON "pages" ("status", "run_id", "url", "fetched_at");
DROP INDEX "idx_pages_status";
"""

# Version 10: search orders the articles no phrase ranks newest first by walking this index
# until its page is full, and a date-only filter reads its rowids here, not from the rows.
V10 = """
CREATE INDEX "idx_articles_published_at" ON "articles" ("published_at");
"""

# Version 11: a site may keep its articles' images too (`download_images`): `article_files` links
# a kept file to the articles that show it as an image (caption as its text) as well as to those
# that list it as an attachment, and says which (`kind`).
V11 = """
DROP VIEW "article_files";
CREATE VIEW "article_files" AS SELECT a.url AS article_url, a.site, json_extract(j.value, '$.text') AS text,
   u.url AS file_url, f.sha256, f.mime, f.size, 'attachment' AS kind
   FROM articles a JOIN json_each(a.attachments) j
   JOIN file_urls u ON u.link_url = json_extract(j.value, '$.url') JOIN files f ON f.sha256 = u.sha256
UNION ALL SELECT a.url, a.site, json_extract(j.value, '$.caption'), u.url, f.sha256, f.mime, f.size, 'image'
   FROM articles a JOIN json_each(a.images) j
   JOIN file_urls u ON u.link_url = json_extract(j.value, '$.src') JOIN files f ON f.sha256 = u.sha256;
"""

# Version 12: learned per-site state — the site's extraction profile (`scraper.extract.profile`:
# the <title> affixes, template prose, body container and header line its pages share), as JSON,
# with how many pages it was learned from, so a later crawl or `reextract` starts from it.
V12 = """
CREATE TABLE "site_profiles" ("site" TEXT PRIMARY KEY, "profile" TEXT, "pages" INTEGER, "learned_at" TEXT);
"""

# MIGRATIONS[n - 1] takes an archive from version n - 1 to version n.
MIGRATIONS: tuple[str, ...] = (V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12)
SCHEMA_VERSION = len(MIGRATIONS)

# The migrations' own bookkeeping: one row per step applied (applied_at is NULL for steps
# applied before this table existed, when the version was kept in `meta`).
VERSION_TABLE = 'CREATE TABLE IF NOT EXISTS "schema_version" ("version" INTEGER PRIMARY KEY, "applied_at" TEXT)'

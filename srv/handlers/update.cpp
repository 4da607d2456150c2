// The mailbox fetch, two steps; logged in only. Neither is signed.
//   UPDATE1 (0x1A): token | nonce1
//       -> UPDATE1_R (0x9A): list<stored> messages | nonce1 | nonce2 | u8 more
//       bad token -> ERROR AUTH_FAILED (unsigned).
//   UPDATE2 (0x1B): nonce2 -> no reply; deletes exactly the ids of the page
//       that nonce2 named. An unknown nonce2 (another connection's counts as
//       unknown) deletes nothing, keeps the page and gets ERROR BAD_REQUEST.
// The pending page belongs to the connection; a new UPDATE1 replaces it
// with the oldest messages now, under a new nonce2.
#include <fmt/core.h>

#include "srv/handler.hpp"

namespace tacit::srv {

void handle_update1(Ctx& ctx) {
    auto d = msg::decode<msg::Update1>(ctx.req.plaintext);
    const Nonce n1 = d.m.nonce1;
    if (!ctx.token_ok(d.m.token)) {
        fmt::print(stderr, "tacitd: conn={} update1 status=AUTH_FAILED\n", ctx.conn.id);
        return ctx.error(n1, proto::AUTH_FAILED, "not your token", false);
    }
    const std::string user = ctx.user();
    bool more = false;
    auto page = ctx.store().read([&](store::Txn& t) {
        return t.mailbox_page(user, proto::kUpdateMaxMessages, proto::kUpdateMaxBytes, &more);
    });

    msg::Update1R r;
    r.nonce1 = n1;
    r.nonce2 = crypto::random_array<16>();
    r.more = more ? 1 : 0;
    UpdatePage p;
    p.nonce2 = r.nonce2;
    p.ids.reserve(page.size());
    for (auto& s : page) p.ids.push_back(s.id);
    r.messages = std::move(page);  // the stored record is the wire's item
    size_t count = p.ids.size();
    ctx.conn.page = std::move(p);  // the old nonce2 is void from here on

    // The page may hold messages stored earlier in this pass: it goes out
    // only if that pass commits. Otherwise the ids may be handed out again,
    // so the page is dropped (the client never saw its nonce2).
    Nonce n2 = r.nonce2;
    Connection* c = &ctx.conn;
    ctx.reply_after_commit(
        [n1, body = msg::encode_body(r)](bool committed) {
            if (committed) return body;
            msg::Error e;
            e.nonce = n1;
            e.status = proto::INTERNAL;
            e.msg = "server storage failed; try again";
            return msg::encode_body(e);
        },
        false,
        [c, n2](bool committed) {
            if (!committed && c->page && ct_equal(c->page->nonce2, n2)) c->page.reset();
        });
    fmt::print(stderr, "tacitd: conn={} update1 user={} messages={} more={}\n", ctx.conn.id, user, count,
               int(r.more));
}

void handle_update2(Ctx& ctx) {
    auto d = msg::decode<msg::Update2>(ctx.req.plaintext);
    const Nonce n2 = d.m.nonce2;
    auto& page = ctx.conn.page;
    if (!page || !ct_equal(page->nonce2, n2)) {
        fmt::print(stderr, "tacitd: conn={} update2 user={} status=BAD_REQUEST (unknown nonce2)\n", ctx.conn.id,
                   ctx.user());
        return ctx.error(n2, proto::BAD_REQUEST, "unknown or stale nonce2; fetch again with UPDATE1", false);
    }
    const std::string user = ctx.user();
    size_t deleted = 0;
    uint8_t st = proto::OK;
    if (!page->ids.empty())  // an empty page needs no write transaction
        st = ctx.store().write([&](store::Txn& t) -> uint8_t {
            deleted = t.delete_mail(user, page->ids);
            return proto::OK;
        });
    if (st != proto::OK) {
        // Nothing was deleted; the page stays so the same UPDATE2 can retry.
        fmt::print(stderr, "tacitd: conn={} update2 user={} status={}\n", ctx.conn.id, user,
                   proto::status_name(st));
        return ctx.error(n2, st, "could not delete the fetched messages; server storage is full", false);
    }
    size_t acked = page->ids.size();
    page.reset();
    // No reply. If the pass fails to commit the deletions roll back and the
    // messages come again; clients drop duplicates by msg_id.
    fmt::print(stderr, "tacitd: conn={} update2 user={} acked={} deleted={}\n", ctx.conn.id, user, acked,
               deleted);
}

}  // namespace tacit::srv

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
    ctx.store().mailbox_page(user, proto::kUpdateMaxMessages, proto::kUpdateMaxBytes,
                             ctx.then<store::Page>([n1, user](Ctx& ctx, store::Page page) {
        msg::Update1R r;
        r.nonce1 = n1;
        r.nonce2 = crypto::random_array<16>();
        r.more = page.more ? 1 : 0;
        UpdatePage p;
        p.nonce2 = r.nonce2;
        p.ids.reserve(page.messages.size());
        for (auto& s : page.messages) p.ids.push_back(s.id);
        r.messages = std::move(page.messages);  // the stored record is the wire's item
        size_t count = p.ids.size();
        ctx.conn.page = std::move(p);  // the old nonce2 is void from here on

        // The page may hold messages stored earlier in this pass: it goes
        // out only if that pass commits. Otherwise the ids may be handed
        // out again, so the page is dropped (the client never saw its nonce2).
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
    }));
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
    // Taken at once, so a second UPDATE2 in the same pass finds no page;
    // put back if the deletion fails, so the same UPDATE2 can retry.
    auto taken = std::make_shared<UpdatePage>(std::move(*page));
    page.reset();
    ctx.store().ack(user, taken->ids, ctx.then<store::Acked>([n2, user, taken](Ctx& ctx, store::Acked a) {
        if (a.status != proto::OK) {
            fmt::print(stderr, "tacitd: conn={} update2 user={} status={}\n", ctx.conn.id, user,
                       proto::status_name(a.status));
            if (!ctx.conn.page) ctx.conn.page = *taken;
            return ctx.error(n2, a.status, "could not delete the fetched messages; server storage is full", false);
        }
        // No reply. The messages are gone for good; clients drop
        // duplicates by msg_id anyway.
        fmt::print(stderr, "tacitd: conn={} update2 user={} acked={} deleted={}\n", ctx.conn.id, user,
                   taken->ids.size(), a.deleted);
    }));
}

}  // namespace tacit::srv

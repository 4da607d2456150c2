// GROUP_FETCH (0x22): token | str group | u64 from | nonce | sig
//   -> GROUP_FETCH_R (0xA2): u8 status | str msg | nonce | u64 head |
//      u32 count | count x blob record | sig
// Members, and users removed from the group or who left it: the stored
// records from epoch `from` on, at most 128 (each at most 4096 bytes, so a
// page fits one frame); the client asks again from the next epoch until it
// reaches `head`. For a user no longer a member, head is the epoch of the
// record that removed it (or its leave), so it reads its removal, signed by
// the owner, and nothing after; a user who never was one (or left more than
// 256 records ago) gets NOT_MEMBER. A `from` past head + 1 is BAD_REQUEST. A
// group without records, or dissolved, is NO_SUCH_GROUP.
#include <fmt/core.h>

#include "srv/handler.hpp"
#include "srv/handlers/delivery.hpp"

namespace tacit::srv {

namespace {
constexpr size_t kPage = 128;
}

void handle_group_fetch(Ctx& ctx) {
    auto d = msg::decode<msg::GroupFetch>(ctx.req.plaintext);
    auto& m = d.m;
    const Nonce n = m.nonce;
    const std::string user = ctx.user();
    auto answer = [&](uint8_t st, std::string text) {
        answer_status<msg::GroupFetchR>(ctx, "group_fetch", n, st, std::move(text));
    };
    if (std::string why; check_signed(ctx, d, &why) != proto::OK) return answer(proto::AUTH_FAILED, why);
    if (auto why = bad_name("group id", m.group); !why.empty()) return answer(proto::BAD_REQUEST, why);

    const std::string group = m.group;
    const uint64_t from = m.from;
    ctx.store().group_records(group, user, from, kPage,
                              ctx.then<store::RecordPage>([n, user, group, from](Ctx& ctx, store::RecordPage p) {
        msg::GroupFetchR r;
        r.nonce = n;
        r.status = p.status;
        r.head = p.head;
        r.records = std::move(p.records);
        switch (r.status) {
        case proto::OK: r.msg = std::to_string(r.records.size()) + " records of " + group; break;
        case proto::NO_SUCH_GROUP: r.msg = "no such group: " + group; break;
        case proto::NOT_MEMBER: r.msg = "you are not a member of " + group; break;
        case proto::BAD_REQUEST: r.msg = "epoch " + std::to_string(from) + " is past the head"; break;
        default: break;
        }
        const uint8_t st = r.status;
        const size_t count = r.records.size();
        // Records appended earlier in this pass go out only if it commits.
        ctx.reply_after_commit(
            [body = msg::encode_body(r), n](bool committed) {
                if (committed) return body;
                msg::GroupFetchR f;
                f.status = proto::STORAGE_FULL;
                f.msg = "server storage failed; try again";
                f.nonce = n;
                return msg::encode_body(f);
            },
            true);
        fmt::print(stderr, "tacitd: conn={} group_fetch user={} group={} from={} records={} status={}\n",
                   ctx.conn.id, user, group, from, count, proto::status_name(st));
    }));
}

}  // namespace tacit::srv

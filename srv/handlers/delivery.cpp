#include "srv/handlers/delivery.hpp"

#include <algorithm>
#include <fmt/core.h>

#include "shared/messages.hpp"
#include "shared/names.hpp"

namespace tacit::srv {

uint8_t store_system_entries(store::Txn& t, const crypto::PkKey& server_sign,
                             const std::vector<std::string>& recipients, std::string_view group,
                             uint64_t received_at_ms, std::string_view text, std::vector<Delivery>& out,
                             std::string* why) {
    // The entries are charged to the actor (store::mail_payer), so one
    // user's churn counts against its --sender-quota like its messages do;
    // and the reserve kept for acks is not for them either.
    const uint64_t need = recipients.size() * kSystemEntryRoom;
    const std::string actor(store::system_actor(text));
    const auto& q = t.quotas();
    if (!actor.empty() && (need > q.sender_bytes || t.sender_bytes(actor) > q.sender_bytes - need)) {
        *why = store::limit_sentence(store::Limit::SenderBytes, q, "");
        return proto::STORAGE_FULL;
    }
    if (!t.has_room(need)) {
        *why = store::limit_sentence(store::Limit::Reserve, q, "");
        return proto::STORAGE_FULL;
    }
    for (const auto& r : recipients) {
        Delivery d;
        d.user = r;
        if (t.mailbox_count(r) >= t.mailbox_cap() + kSystemEntrySlack) {
            d.stored = false;
        } else {
            store::StoredMsg m;
            m.id = t.allocate_id();
            m.kind = proto::STORED_SYSTEM;
            m.group = std::string(group);
            m.received_at_ms = received_at_ms;
            msg::SystemEntry e;
            e.text = std::string(text);
            e.sig = server_sign.sign(msg::system_sig_input(r, m.id, group, received_at_ms, text));
            m.enc_msg = e.encode();
            t.append_mail(r, std::move(m));
        }
        d.count = t.mailbox_count(r);
        out.push_back(std::move(d));
    }
    return proto::OK;
}

void notify_deliveries(Presence& presence, const std::vector<Delivery>& ds, bool group_event) {
    for (const auto& d : ds) {
        if (group_event) presence.notify_user(d.user, proto::NOTIFY_GROUP, 0);
        if (d.stored)
            presence.notify_user(d.user, proto::NOTIFY_MAIL, uint32_t(std::min<uint64_t>(d.count, UINT32_MAX)));
        else
            fmt::print(stderr, "tacitd: system entry for user={} skipped: mailbox far past its cap\n", d.user);
    }
}

bool group_change_allowed(Ctx& ctx) {
    return ctx.limits().admit(Limit::GroupChange, "actor:" + ctx.user());
}

std::string bad_name(std::string_view what, std::string_view name) {
    if (valid_name(name)) return {};
    return "invalid " + std::string(what) + ": " + name_problem(name);
}

}  // namespace tacit::srv

#include "shared/messages_group.hpp"

namespace tacit::msg {

namespace {
// The three reply shapes that carry a status, shared by several types.
template <class R> void status_msg_nonce(Writer& w, const R& m) {
    w.u8(m.status).str(m.msg).nonce(m.nonce);
}
template <class R> R read_status_msg_nonce(Reader& r) {
    R m;
    m.status = r.u8();
    m.msg = read_text(r);
    m.nonce = r.nonce();
    return m;
}
template <class R> void msg_status_nonce(Writer& w, const R& m) {
    w.str(m.msg).u8(m.status).nonce(m.nonce);
}
template <class R> R read_msg_status_nonce(Reader& r) {
    R m;
    m.msg = read_text(r);
    m.status = r.u8();
    m.nonce = r.nonce();
    return m;
}
}  // namespace

void GroupCreate::encode(Writer& w) const { w.token(token).str(group).blob(record).nonce(nonce); }
GroupCreate GroupCreate::decode(Reader& r) {
    GroupCreate m;
    m.token = r.token();
    m.group = read_name(r);
    m.record = r.blob(limit::kGroupRecord);
    m.nonce = r.nonce();
    return m;
}
void GroupCreateR::encode(Writer& w) const { status_msg_nonce(w, *this); }
GroupCreateR GroupCreateR::decode(Reader& r) { return read_status_msg_nonce<GroupCreateR>(r); }

void GroupAdd::encode(Writer& w) const { w.token(token).str(user).str(group).blob(record).nonce(nonce); }
GroupAdd GroupAdd::decode(Reader& r) {
    GroupAdd m;
    m.token = r.token();
    m.user = read_name(r);
    m.group = read_name(r);
    m.record = r.blob(limit::kGroupRecord);
    m.nonce = r.nonce();
    return m;
}
void GroupAddR::encode(Writer& w) const { status_msg_nonce(w, *this); }
GroupAddR GroupAddR::decode(Reader& r) { return read_status_msg_nonce<GroupAddR>(r); }

void GroupRemove::encode(Writer& w) const { w.token(token).str(user).str(group).blob(record).nonce(nonce); }
GroupRemove GroupRemove::decode(Reader& r) {
    GroupRemove m;
    m.token = r.token();
    m.user = read_name(r);
    m.group = read_name(r);
    m.record = r.blob(limit::kGroupRecord);
    m.nonce = r.nonce();
    return m;
}
void GroupRemoveR::encode(Writer& w) const { status_msg_nonce(w, *this); }
GroupRemoveR GroupRemoveR::decode(Reader& r) { return read_status_msg_nonce<GroupRemoveR>(r); }

void GroupMsg1::encode(Writer& w) const { w.token(token).str(group).nonce(nonce); }
GroupMsg1 GroupMsg1::decode(Reader& r) {
    GroupMsg1 m;
    m.token = r.token();
    m.group = read_name(r);
    m.nonce = r.nonce();
    return m;
}

void MemberKey::encode(Writer& w) const { w.str(user).blob(public_key); }
MemberKey MemberKey::decode(Reader& r) {
    MemberKey m;
    m.user = read_name(r);
    m.public_key = r.blob(limit::kPublicKey);
    return m;
}

void GroupMsg1R::encode(Writer& w) const {
    w.u8(status).str(msg).nonce(nonce).u32(uint32_t(members.size()));
    for (const auto& k : members) k.encode(w);
}
GroupMsg1R GroupMsg1R::decode(Reader& r) {
    GroupMsg1R m;
    m.status = r.u8();
    m.msg = read_text(r);
    m.nonce = r.nonce();
    uint32_t n = r.count(MemberKey::kMinSize);
    m.members.reserve(n);
    for (uint32_t i = 0; i < n; ++i) m.members.push_back(MemberKey::decode(r));
    return m;
}

void GroupMsg2::encode(Writer& w) const {
    w.nonce(nonce).str(group).str(target).blob(enc_msg).blob(wrapped_key);
}
GroupMsg2 GroupMsg2::decode(Reader& r) {
    GroupMsg2 m;
    m.nonce = r.nonce();
    m.group = read_name(r);
    m.target = read_name(r);
    m.enc_msg = r.blob(limit::kEncMsg);
    m.wrapped_key = r.blob(limit::kWrappedKey);
    return m;
}
void GroupMsg2R::encode(Writer& w) const { msg_status_nonce(w, *this); }
GroupMsg2R GroupMsg2R::decode(Reader& r) { return read_msg_status_nonce<GroupMsg2R>(r); }

void Part::encode(Writer& w) const { w.str(target).blob(enc_msg).blob(wrapped_key); }
Part Part::decode(Reader& r) {
    Part m;
    m.target = read_name(r);
    m.enc_msg = r.blob(limit::kEncMsg);
    m.wrapped_key = r.blob(limit::kWrappedKey);
    return m;
}

void GroupMsg2Batch::encode(Writer& w) const {
    w.nonce(nonce).str(group).u32(uint32_t(parts.size()));
    for (const auto& p : parts) p.encode(w);
}
GroupMsg2Batch GroupMsg2Batch::decode(Reader& r) {
    GroupMsg2Batch m;
    m.nonce = r.nonce();
    m.group = read_name(r);
    uint32_t n = r.count(Part::kMinSize);
    m.parts.reserve(n);
    for (uint32_t i = 0; i < n; ++i) m.parts.push_back(Part::decode(r));
    return m;
}
void GroupMsg2BatchR::encode(Writer& w) const { msg_status_nonce(w, *this); }
GroupMsg2BatchR GroupMsg2BatchR::decode(Reader& r) {
    return read_msg_status_nonce<GroupMsg2BatchR>(r);
}

void GroupFetch::encode(Writer& w) const { w.token(token).str(group).u64(from).nonce(nonce); }
GroupFetch GroupFetch::decode(Reader& r) {
    GroupFetch m;
    m.token = r.token();
    m.group = read_name(r);
    m.from = r.u64();
    m.nonce = r.nonce();
    return m;
}

void GroupFetchR::encode(Writer& w) const {
    w.u8(status).str(msg).nonce(nonce).u64(head).u32(uint32_t(records.size()));
    for (const auto& b : records) w.blob(b);
}
GroupFetchR GroupFetchR::decode(Reader& r) {
    GroupFetchR m;
    m.status = r.u8();
    m.msg = read_text(r);
    m.nonce = r.nonce();
    m.head = r.u64();
    uint32_t n = r.count(4);
    if (n > kMaxRecords) throw WireError(WireError::TooLarge, "GROUP_FETCH_R: more than 128 records");
    m.records.reserve(n);
    for (uint32_t i = 0; i < n; ++i) m.records.push_back(r.blob(limit::kGroupRecord));
    return m;
}

void GroupList::encode(Writer& w) const { w.token(token).nonce(nonce); }
GroupList GroupList::decode(Reader& r) {
    GroupList m;
    m.token = r.token();
    m.nonce = r.nonce();
    return m;
}

void GroupListR::encode(Writer& w) const {
    w.u8(status).str(msg).nonce(nonce).u32(uint32_t(groups.size()));
    for (const auto& g : groups) w.str(g.group).u64(g.head);
}
GroupListR GroupListR::decode(Reader& r) {
    GroupListR m;
    m.status = r.u8();
    m.msg = read_text(r);
    m.nonce = r.nonce();
    uint32_t n = r.count(2 + 1 + 8);  // the shortest item: a one-byte name and its epoch
    m.groups.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
        GroupHeadItem g;
        g.group = read_name(r);
        g.head = r.u64();
        m.groups.push_back(std::move(g));
    }
    return m;
}

}  // namespace tacit::msg

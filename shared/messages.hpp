// Every sealed message of tacit-protocol(7), MESSAGES, as one struct each, plus the
// generic framing of a sealed plaintext: u8 type | fields | sig*.
//
//   Bytes body = msg::encode_body(msg::Login1{user, nonce1});
//   msg::append_sig(body, sign(msg::sig_input(proto::C2S, sid, seq, body)));
//
//   auto d = msg::decode<msg::Login1>(plaintext);   // throws WireError
//   verify(msg::sig_input(proto::C2S, sid, seq, plaintext.first(d.signed_len)), d.sigs[0]);
#pragma once
#include <type_traits>

#include "shared/messages_account.hpp"
#include "shared/messages_chat.hpp"
#include "shared/messages_common.hpp"
#include "shared/messages_group.hpp"
#include "shared/messages_payload.hpp"
#include "shared/messages_prekey.hpp"
#include "shared/messages_session.hpp"

namespace tacit::msg {

// type | fields; the caller appends the signature(s) with append_sig.
template <class M> Bytes encode_body(const M& m) {
    Writer w;
    w.u8(M::type);
    m.encode(w);
    return w.take();
}

template <class M> struct Decoded {
    M m;
    size_t signed_len = 0;  // bytes of type | fields: the tail of sig_input
    std::vector<Bytes> sigs;
};

// Checks the type byte (WireError Invalid otherwise), decodes the fields,
// reads exactly M::sigs sigs and requires the plaintext to end there.
template <class M> Decoded<M> decode(ByteView plaintext) {
    Reader r(plaintext);
    if (r.u8() != M::type) throw WireError(WireError::Invalid, "unexpected message type");
    Decoded<M> d{M::decode(r), 0, {}};
    d.signed_len = r.pos();
    for (int i = 0; i < M::sigs; ++i) d.sigs.push_back(read_sig(r));
    r.finish();
    return d;
}

// ERROR carries a sig only when the failed request was of a signed type, so
// accept zero or one.
Decoded<Error> decode_error(ByteView plaintext);

// "tacit v2" | u8 direction | session_id | u64 seq | type | fields
Bytes sig_input(uint8_t direction, const Array<32>& session_id, uint64_t seq,
                ByteView type_and_fields);

// u16 len | sig. Throws WireError for an empty or over-65535-byte sig.
void append_sig(Bytes& body, ByteView sig);

// The type byte of a sealed plaintext (WireError Incomplete if empty).
uint8_t type_of(ByteView plaintext);

template <class... Ms> struct TypeList {};
using AllMessages =
    TypeList<HelloR, Register, RegisterR, Renew1, Renew1R, Renew2, Renew2R, Renew3, Renew3R,
             Login1, Login1R, Login2, Login2R, Logout, Online, OnlineR, Msg1, Msg1R, Msg2, Msg2R,
             Update1, Update1R, Update2, GroupCreate, GroupCreateR, GroupAdd, GroupAddR,
             GroupRemove, GroupRemoveR, GroupMsg1, GroupMsg1R, GroupMsg2, GroupMsg2R,
             GroupMsg2Batch, GroupMsg2BatchR, GroupFetch, GroupFetchR, GroupList, GroupListR, PrekeyUpload, PrekeyUploadR,
             PrekeyFetch, PrekeyFetchR, Ping, Pong, Notify, Error>;

namespace detail {
template <class F, class... Ms> bool with_type(uint8_t t, F& f, TypeList<Ms...>) {
    return ((Ms::type == t ? (f(std::type_identity<Ms>{}), true) : false) || ...);
}
}  // namespace detail

// Calls f(std::type_identity<M>{}) for the message struct whose type byte is
// t; returns false when no struct has that type.
template <class F> bool with_message_type(uint8_t t, F&& f) {
    return detail::with_type(t, f, AllMessages{});
}

}  // namespace tacit::msg

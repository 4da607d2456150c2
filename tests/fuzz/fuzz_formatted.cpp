// libFuzzer target for what a recipient does with a stored item
// (tacit-protocol(7), STORED MESSAGES and END-TO-END PAYLOAD):
// FormattedMessage::decode, SystemEntry::decode and the client's
// open_envelope (tui/client/e2e.hpp) with a fixed identity. The first byte
// picks a mode:
//   0: FormattedMessage::decode     1: SystemEntry::decode
//   2: the rest is a formatted_message plaintext, sealed to the fixed
//      identity: open_envelope must return exactly what decode returns, and
//      refuse it when the stored header disagrees
//   3: the rest split into wrapped_key | enc_msg: nothing opens
#include <cstdlib>
#include <cstring>

#include "shared/crypto.hpp"
#include "shared/messages.hpp"
#include "shared/names.hpp"
#include "tui/client/e2e.hpp"

using namespace tacit;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

const UserIdentity& me() {
    static const UserIdentity id = [] {
        uint8_t priv[32];
        for (int i = 0; i < 32; ++i) priv[i] = uint8_t(0x77 ^ i);
        // open_envelope needs only the box key; no RSA key is generated.
        return UserIdentity{crypto::PkKey(), crypto::X25519Key::from_private(ByteView(priv, 32))};
    }();
    return id;
}

std::optional<msg::DecodedFormatted> try_decode(ByteView in) {
    try {
        return msg::FormattedMessage::decode(in);
    } catch (const WireError&) {
        return std::nullopt;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        if (auto d = try_decode(in)) {
            check(d->m.encode(d->sig) == Bytes(in.begin(), in.end()));
            check(d->signed_len <= in.size());
            (void)client::to_chat(d->m);
        }
        break;
    case 1:
        try {
            auto e = msg::SystemEntry::decode(in);
            check(e.encode() == Bytes(in.begin(), in.end()));
        } catch (const WireError&) {
        }
        break;
    case 2: {
        Array<32> k{};
        for (size_t i = 0; i < 32; ++i) k[i] = uint8_t(i * 7);
        msg::Stored st;
        st.wrapped_key = crypto::ecies_seal("wrap", me().box.pub, k).ct;
        st.enc_msg = crypto::gcm_seal(k, Array<12>{}, {}, in);
        auto d = try_decode(in);
        const std::string me_name = d ? d->m.recipient : "me";
        if (d) st.sender = d->m.sender, st.group = d->m.group;
        std::string problem;
        auto o = client::open_envelope(me(), me_name, st, &problem);
        // A sender name that can't be a user's is refused before anything
        // else (the client never looks such a name up).
        const bool named = d && name_problem(d->m.sender).empty();
        check(o.has_value() == named);
        check(o.has_value() == problem.empty());
        if (o) {
            check(o->fm == d->m);
            check(o->sig == d->sig);
            // A record that names another sender is refused.
            st.sender += "x";
            check(!client::open_envelope(me(), me_name, st, &problem));
        }
        break;
    }
    default: {
        msg::Stored st;
        size_t cut = std::min<size_t>(80, in.size());
        st.wrapped_key.assign(in.begin(), in.begin() + long(cut));
        st.enc_msg.assign(in.begin() + long(cut), in.end());
        std::string problem;
        check(!client::open_envelope(me(), "me", st, &problem));
        check(!problem.empty());
        break;
    }
    }
    return 0;
}

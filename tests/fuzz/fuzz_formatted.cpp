// libFuzzer target for what a recipient does with a stored item
// (tacit-protocol(7), STORED MESSAGES and END-TO-END PAYLOAD):
// FormattedMessage::decode, SystemEntry::decode and the client's
// parse_formatted (tui/client/e2e.hpp), which checks what a pairwise
// ratchet message opened to against the stored record. The first byte
// picks a mode:
//   0: FormattedMessage::decode     1: SystemEntry::decode
//   2: the rest is an opened plaintext: parse_formatted must return exactly
//      what decode returns, and refuse it when the stored header disagrees
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
    switch (data[0] % 3) {
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
    default: {
        msg::Stored st;
        auto d = try_decode(in);
        const std::string me_name = d ? d->m.recipient : "me";
        if (d) st.sender = d->m.sender, st.group = d->m.group;
        std::string problem;
        const Secret pt(in);
        auto o = client::parse_formatted(pt, me_name, st, &problem);
        // A sender name that can't be a user's is refused before anything
        // else (the client never looks such a name up).
        const bool named = d && name_problem(d->m.sender).empty();
        check(o.has_value() == named);
        check(o.has_value() == problem.empty());
        if (o) {
            check(o->fm == d->m);
            check(o->sig == d->sig);
            // A record that names another sender or group is refused.
            st.sender += "x";
            check(!client::parse_formatted(pt, me_name, st, &problem));
            st.sender.pop_back();
            st.group += "x";
            check(!client::parse_formatted(pt, me_name, st, &problem));
        }
        break;
    }
    }
    return 0;
}

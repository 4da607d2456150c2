// libFuzzer target for every sealed message decoder (shared/messages*.hpp).
// The first byte picks the decoder: a message type byte decodes the whole
// input as that message; 0x00, 0x01, 0x02 (no message uses them) decode the
// rest as a stored item, a formatted_message or a system entry. Anything that
// decodes must re-encode to exactly the same bytes, since every encoding in
// tacit-protocol(7), MESSAGES, is canonical.
#include <cstdlib>

#include "shared/messages.hpp"

using namespace tacit;
using namespace tacit::msg;

namespace {

void same(ByteView a, ByteView b) {
    if (a.size() != b.size() || !std::equal(a.begin(), a.end(), b.begin())) std::abort();
}

template <class M> void check(ByteView in, const Decoded<M>& d) {
    Bytes again = encode_body(d.m);
    if (again.size() != d.signed_len) std::abort();
    for (const auto& s : d.sigs) append_sig(again, s);
    same(again, in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data, size);
    ByteView rest = in.subspan(1);
    try {
        switch (in[0]) {
        case 0x00: {
            Reader r(rest);
            Stored s = Stored::decode(r);
            r.finish();
            Writer w;
            s.encode(w);
            same(w.bytes(), rest);
            return 0;
        }
        case 0x01: {
            auto d = FormattedMessage::decode(rest);
            Writer w;
            d.m.encode_unsigned(w);
            if (w.size() != d.signed_len) std::abort();
            same(d.m.encode(d.sig), rest);
            return 0;
        }
        case 0x02: {
            auto e = SystemEntry::decode(rest);
            same(e.encode(), rest);
            return 0;
        }
        case Error::type:
            try {
                check(in, decode_error(in));
            } catch (const WireError&) {
            }
            break;
        default:
            break;
        }
        with_message_type(in[0], [&](auto id) {
            using M = typename decltype(id)::type;
            check(in, decode<M>(in));
        });
    } catch (const WireError&) {
    }
    return 0;
}

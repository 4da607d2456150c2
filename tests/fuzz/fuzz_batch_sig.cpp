// libFuzzer target for the batch proof a server reply's sig field carries
// (shared/batch_sig.hpp, tacit-protocol(7) "Batch signatures"): parse must
// never crash and what it accepts re-encodes to the same bytes; the
// verifier must refuse whatever it does not prove, never throw.
#include <cstdlib>

#include "shared/batch_sig.hpp"

using namespace tacit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ByteView in(data, size);
    if (auto p = batch::parse(in)) {
        if (batch::encode(*p) != Bytes(in.begin(), in.end())) std::abort();
        static const crypto::PkKey key = crypto::PkKey::generate_p256();
        batch::Verifier v;
        // A random proof over a fixed input proves nothing.
        if (v.verify(key, as_bytes("fuzz"), in)) std::abort();
    }
    return 0;
}

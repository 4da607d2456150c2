// TCP plumbing for both programs: addresses, listening, connecting, the
// client's blocking frame I/O with timeouts, and an acceptor that survives
// running out of fds. An Endpoint names either a TCP address or a Unix
// socket (shared/unix_socket.hpp), so callers connect to either alike.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "shared/bytes.hpp"
#include "shared/frame_decoder.hpp"
#include "shared/unique_fd.hpp"

namespace tacit {

struct HostPort {
    std::string host;
    uint16_t port = 0;
};

// "127.0.0.1:7700", "localhost:7700", "[::1]:7700", "[::1]", "host" (port
// defaults). A bare IPv6 literal ("::1") is taken as a host without a port.
// Port 0 is accepted (ephemeral, for listening). nullopt if malformed.
std::optional<HostPort> parse_hostport(std::string_view s, uint16_t default_port);
// "host:port", or "[v6]:port" when the host contains a colon.
std::string to_string(const HostPort& hp);

struct UnixPath {
    std::string path;
};
using Endpoint = std::variant<HostPort, UnixPath>;

// "unix:PATH" (any non-empty path; relative ones are taken from the current
// directory) or what parse_hostport takes. nullopt if malformed.
std::optional<Endpoint> parse_endpoint(std::string_view s, uint16_t default_port);
// "unix:PATH" or to_string(HostPort): one spelling per endpoint, so it can
// key known_servers.
std::string to_string(const Endpoint& e);
// connect_tcp or connect_unix; the same errors.
UniqueFd connect_endpoint(const Endpoint& e, int timeout_ms);

// Non-blocking, close-on-exec, SO_REUSEADDR. Throws std::runtime_error
// ("listen 127.0.0.1:7700: Address already in use").
UniqueFd listen_tcp(const HostPort& hp, int backlog = 511);
// Throws std::runtime_error if getsockname fails.
uint16_t local_port(int fd);

// Tries each resolved address within one overall timeout. Returns a blocking
// fd with TCP_NODELAY. Throws std::runtime_error: "connection refused:
// 127.0.0.1:7700", "connection timed out: ...", "cannot resolve ...".
UniqueFd connect_tcp(const HostPort& hp, int timeout_ms);

// Both throw std::system_error on failure.
void set_nonblocking(int fd);
void set_nodelay(int fd);
// "127.0.0.1:54321" or "[::1]:54321"; "?" if the peer is already gone.
std::string peer_address(int fd);
// The same text for an address already read; IPv4-mapped IPv6 (a
// dual-stack listener's IPv4 peer) is shown as IPv4.
std::string format_addr(const sockaddr_storage& ss);
// Its host alone, IPv6 without brackets: "127.0.0.1", "2001:db8::1"; "?"
// for any other family.
std::string format_host(const sockaddr_storage& ss);

// Blocking client-side I/O on a socket (blocking or not); timeout_ms < 0
// waits forever. The timeout covers the whole call.
// false on timeout or any error (peer reset, closed). Never raises SIGPIPE.
bool write_all(int fd, ByteView data, int timeout_ms);

enum class ReadResult { Frame, Timeout, Closed, BadLength };
// Returns a frame already buffered in dec before reading more; bytes past the
// frame stay in dec for the next call.
ReadResult read_frame(int fd, FrameDecoder& dec, Bytes& body, int timeout_ms);

// Accepts on a non-blocking listening socket. When the process is out of fds
// (EMFILE/ENFILE) the pending connections would keep the listener readable
// and spin a level-triggered loop, so a reserved fd is freed to accept and
// close them, then taken again (the libev/libuv trick).
class Acceptor {
public:
    // Throws std::system_error if the reserve fd cannot be opened.
    explicit Acceptor(UniqueFd listen_fd);

    // One accepted connection (non-blocking, close-on-exec, TCP_NODELAY),
    // with its address in *peer if given; nullopt when none is pending or
    // the ones pending were dropped for lack of fds. Errors a peer can cause
    // (aborted connections) are skipped; only misuse throws.
    std::optional<UniqueFd> accept_one(std::string* peer = nullptr);
    int fd() const { return listen_.get(); }
    // Connections dropped because the process was out of fds.
    uint64_t dropped() const { return dropped_; }

private:
    void drop_pending();

    UniqueFd listen_;
    UniqueFd reserve_;
    uint64_t dropped_ = 0;
};

}  // namespace tacit

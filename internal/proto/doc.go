// Package proto is the netdisk wire format, and nothing else: how frames are
// read and written, the message types, and the error codes. It opens no
// sockets and knows nothing of users or files; internal/server and
// internal/client speak it. PROTOCOL.md at the repository root is the
// specification a compatible client in another language can be written
// from; this comment is the short version.
//
// # Frames
//
// TCP is a byte stream, so messages must carry their own boundaries. Every
// message is one frame:
//
//	+---------------------+------------------------------+---------------------+
//	| header length N     | header: N bytes of JSON      | body: body_len raw  |
//	| uint32, big-endian  | {"type":..,"id":..,...}      | bytes (often none)  |
//	+---------------------+------------------------------+---------------------+
//
// The JSON header is one object. "type" names the message, "id" ties a reply
// to its request, "body_len" (absent means 0) says how many raw bytes follow
// the header; the other members are the message's own fields. N is checked
// against MaxHeaderLen before anything is allocated for it.
//
// # The conversation
//
//	client                                   server
//	  | --- TCP connect, TLS handshake (unless --plaintext) ---> |
//	  | "NETDISK2" (8-byte preamble)          ------------------> |
//	  | <------------------ hello {version, welcome, challenge}  |
//	  | client_key {proof}   (only when hello asks for it) -----> |
//	  | <------------------------------------------------- ok    |
//	  | login {user, password}  or  auth_token {token}  -------> |
//	  | <-------------------------------- session {token, ...}   |
//	  | ls / stat / mkdir / rm / mv / df / put / get ... ------> |  requests may be
//	  | <-------------------------- list / entry / ok / error    |  pipelined
//
// The preamble lets each side tell at once whether the other speaks TLS: a
// TLS server that reads "N" instead of a ClientHello answers with a
// plaintext error frame, and a plaintext server that reads a ClientHello
// answers the same way, so a mismatch fails fast instead of hanging.
//
// Requests carry a client-chosen non-zero id; every reply carries the id of
// its request. The server may answer pipelined requests out of order, so
// clients match replies by id. A request is answered by exactly one frame of
// type "ok", "error" or a type-specific reply, except "ls", whose reply may
// span several "list" frames (all but the last have more=true).
package proto

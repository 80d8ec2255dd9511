package proto

// Hello is the server's first frame: who it is, what to show the user, and a
// fresh 32-byte challenge for the client-key check.
// Layout: {"type":"hello","version":1,"server":"netdisk","name":…,"welcome":…,"challenge":base64,"client_key":bool}
type Hello struct {
	Version   int    `json:"version"`
	Server    string `json:"server"`
	Name      string `json:"name,omitempty"`
	Welcome   string `json:"welcome"`
	Challenge []byte `json:"challenge"` // 32 random bytes, standard base64 on the wire
	// ClientKey is true when the server requires a ClientKey proof before
	// anything else.
	ClientKey bool `json:"client_key,omitempty"`
}

// ClientKey proves knowledge of the server's shared client key.
// Layout: {"type":"client_key","id":N,"proof":base64(HMAC-SHA256(key, challenge))}
type ClientKey struct {
	Proof []byte `json:"proof"`
}

// OK is the reply to a request that succeeded and has nothing to return.
// Layout: {"type":"ok","id":N}
type OK struct{}

// ChallengeLen is the length of Hello.Challenge.
const ChallengeLen = 32

func (Hello) MsgType() string     { return "hello" }
func (ClientKey) MsgType() string { return "client_key" }
func (OK) MsgType() string        { return "ok" }

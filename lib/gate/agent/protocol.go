package main

import (
	"bytes"
	"encoding/json"
	"os"
	"time"
)

// The protocol (version 1): one JSON object per line in each direction, a reply for every request, in
// order, on a unix stream socket. Bytes are standard base64 with padding. docs/spec.md, "The unlock
// agent", has the whole table; lib/gate/agent/client.ts is the client.
//
//	{"op":"status"}                                   → {"ok":true,"protocol":1,"operator":…,"recipients":[…],"expiresAt":…,"allowYes":…,"memoryLocked":…,"pid":…}
//	{"op":"unwrap","stanzas":[{"args":[…],"body":…}]} → {"ok":true,"fileKey":"…"} (null when no identity matches)
//	{"op":"mac","recipient":"age1…","data":"…"}       → {"ok":true,"mac":"…"}
//	{"op":"lock"}                                     → {"ok":true}, then the agent exits
//
// Any failure is {"ok":false,"error":{"code":…,"message":…}}. A refused peer gets one such line with
// code "refused" (unasked, right after connecting or instead of the reply) and the connection closes.
const protocolVersion = 1

const maxRequest = 1 << 20

type request struct {
	Op        string       `json:"op"`
	Stanzas   []wireStanza `json:"stanzas,omitempty"`
	Recipient string       `json:"recipient,omitempty"`
	Data      []byte       `json:"data,omitempty"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type failure struct {
	Ok    bool      `json:"ok"`
	Error errorBody `json:"error"`
}

func failed(code, message string) failure {
	return failure{Error: errorBody{Code: code, Message: message}}
}

type statusReply struct {
	Ok           bool     `json:"ok"`
	Protocol     int      `json:"protocol"`
	Operator     string   `json:"operator"`
	Recipients   []string `json:"recipients"`
	ExpiresAt    string   `json:"expiresAt"`
	AllowYes     bool     `json:"allowYes"`
	MemoryLocked bool     `json:"memoryLocked"`
	Pid          int      `json:"pid"`
}

type unwrapReply struct {
	Ok      bool   `json:"ok"`
	FileKey []byte `json:"fileKey"`
}

type macReply struct {
	Ok  bool   `json:"ok"`
	Mac []byte `json:"mac"`
}

type okReply struct {
	Ok bool `json:"ok"`
}

// dispatch answers one request line; `after` runs once the reply is written (lock exits then).
func (s *server) dispatch(line []byte) (reply any, after func()) {
	var req request
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return failed("bad-request", "the request is not a JSON object of protocol version 1"), nil
	}
	switch req.Op {
	case "status":
		return statusReply{
			Ok:           true,
			Protocol:     protocolVersion,
			Operator:     s.cfg.operator,
			Recipients:   s.keys.recipients(),
			ExpiresAt:    s.expiresAt.UTC().Format(time.RFC3339Nano),
			AllowYes:     s.cfg.allowYes,
			MemoryLocked: s.locked,
			Pid:          os.Getpid(),
		}, nil
	case "unwrap":
		key, err := s.keys.unwrap(req.Stanzas)
		if err != nil {
			return failed("unwrap-failed", err.Error()), nil
		}
		return unwrapReply{Ok: true, FileKey: key}, nil
	case "mac":
		mac, ok := s.keys.mac(req.Recipient, req.Data)
		if !ok {
			return failed("unknown-recipient", "no X25519 identity of this agent has that recipient"), nil
		}
		return macReply{Ok: true, Mac: mac}, nil
	case "lock":
		return okReply{Ok: true}, s.shutdown
	}
	return failed("unknown-op", "the op must be status, unwrap, mac or lock"), nil
}

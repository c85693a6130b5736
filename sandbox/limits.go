package sandbox

import "unicode/utf8"

// Bounds on what the sandbox keeps, in memory and in its state file. A cart's conversation is a
// handful of messages, so these only bite on a benchmark or a very chatty session; the least
// recently active conversation goes first, and within one the oldest messages.
const (
	maxConversations = 1000
	maxEntries       = 200      // per conversation
	maxStateBytes    = 16 << 20 // of the state file's JSON, estimated by entrySize
)

// entryOverhead is an entry's JSON beyond its strings: field names, the time, the status; and
// conversationOverhead a conversation's beyond its entries.
const (
	entryOverhead        = 256
	conversationOverhead = 64
)

// entrySize estimates the bytes of e in the state file. Strings count as encoding/json writes them,
// escapes included, so a text of control characters cannot make the file outgrow the estimate.
func entrySize(e Entry) int {
	n := entryOverhead + jsonLen(e.MessageID) + jsonLen(e.Kind) + jsonLen(e.Text) + jsonLen(e.Footer) +
		jsonLen(e.ContextID) + jsonLen(e.Error)
	for _, b := range e.Buttons {
		n += 40 + jsonLen(b.Label) + jsonLen(b.Payload)
	}
	if t := e.Template; t != nil {
		n += 64 + jsonLen(t.Name) + jsonLen(t.Language)
		for _, p := range t.BodyParams {
			n += 3 + jsonLen(p)
		}
		for _, p := range t.QuickReplies {
			n += 3 + jsonLen(p)
		}
	}
	return n
}

// jsonLen is the length of s as a JSON string's contents, written without HTML escaping.
func jsonLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
			n += 2
		case r < 0x20 || r == '\u2028' || r == '\u2029' || (r == utf8.RuneError && size == 1):
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}

// bound drops the oldest messages of waID's conversation beyond maxEntries, then whole
// conversations, least recently active first and never waID's, beyond maxConversations or
// maxStateBytes. s.mu must be held.
func (s *Sandbox) bound(waID string) {
	if c := s.convs[waID]; len(c.entries) > maxEntries {
		drop := len(c.entries) - maxEntries
		for _, e := range c.entries[:drop] {
			s.size -= entrySize(e)
		}
		c.entries = append(c.entries[:0], c.entries[drop:]...)
	}
	dropped := 0
	for len(s.order) > 1 && (len(s.order) > maxConversations || s.size > maxStateBytes) {
		oldest := -1
		for i, id := range s.order {
			if id != waID && (oldest < 0 || s.convs[id].touched < s.convs[s.order[oldest]].touched) {
				oldest = i
			}
		}
		id := s.order[oldest]
		s.size -= conversationOverhead
		for _, e := range s.convs[id].entries {
			s.size -= entrySize(e)
		}
		delete(s.convs, id)
		s.order = append(s.order[:oldest], s.order[oldest+1:]...)
		dropped++
	}
	if dropped > 0 {
		// Once the bound is reached every new conversation drops one: say so once.
		logf := s.log.Debugf
		if !s.dropping {
			s.dropping, logf = true, s.log.Infof
		}
		logf("sandbox: dropped %d least recently active conversation(s): it keeps at most %d conversations and %d MB", dropped, maxConversations, maxStateBytes>>20)
	}
}

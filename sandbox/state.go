package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cartback/cartback/whatsapp/fakegraph"
)

// The state file keeps the conversations across restarts of `cartback dev`: flows wait for days,
// and the shopper's buttons must still be there to tap. It is rewritten whole, atomically (a
// temporary file renamed over it), soon after each change and at Close.

// stateVersion is the state file's format. A file of another version is set aside, not read.
const stateVersion = 1

// maxStateFile bounds what is read at start: the sandbox never writes more than about
// maxStateBytes, so anything much larger is not its file.
const maxStateFile = 2 * maxStateBytes

// defaultSaveInterval is the least time between two writes of the state file: under a burst of
// changes (a benchmark) the file is written a few times a second, not at every status.
const defaultSaveInterval = 250 * time.Millisecond

// restartError is the error of a shopper's message whose webhook post the sandbox stopped before it
// was answered: whether our server took it is unknown.
const restartError = "the sandbox stopped before cartback's webhook answered"

type stateFile struct {
	Version       int                  `json:"version"`
	Conversations []storedConversation `json:"conversations"` // in the page's order
}

type storedConversation struct {
	WaID    string        `json:"wa_id"`
	Version int           `json:"version"`
	Entries []storedEntry `json:"entries"`
}

// storedEntry is an Entry with what its JSON leaves out.
type storedEntry struct {
	Entry
	Known    bool            `json:"known,omitempty"`
	Template *storedTemplate `json:"template,omitempty"`
}

type storedTemplate struct {
	Name         string   `json:"name"`
	Language     string   `json:"language"`
	BodyParams   []string `json:"body_params,omitempty"`
	QuickReplies []string `json:"quick_replies,omitempty"`
}

// snapshot is the state file's contents now. s.mu must be held.
func (s *Sandbox) snapshot() stateFile {
	f := stateFile{Version: stateVersion, Conversations: make([]storedConversation, 0, len(s.order))}
	for _, waID := range s.order {
		c := s.convs[waID]
		sc := storedConversation{WaID: waID, Version: c.version, Entries: make([]storedEntry, len(c.entries))}
		for i, e := range copyEntries(c.entries) {
			se := storedEntry{Entry: e, Known: e.known}
			if t := e.Template; t != nil {
				se.Template = &storedTemplate{Name: t.Name, Language: t.Language, BodyParams: t.BodyParams, QuickReplies: t.QuickReplies}
			}
			sc.Entries[i] = se
		}
		f.Conversations = append(f.Conversations, sc)
	}
	return f
}

// restore replaces the conversations with f's. s.mu must be held.
func (s *Sandbox) restore(f stateFile) {
	s.convs, s.order, s.size = map[string]*conversation{}, nil, 0
	for _, sc := range f.Conversations {
		// A new version: a page left open across the restart redraws what the restart changed.
		c := &conversation{phone: "+" + sc.WaID, version: sc.Version + 1, entries: make([]Entry, len(sc.Entries))}
		s.size += conversationOverhead
		for i, se := range sc.Entries {
			e := se.Entry
			e.known = se.Known
			if t := se.Template; t != nil {
				e.Template = &fakegraph.Template{Name: t.Name, Language: t.Language, BodyParams: t.BodyParams, QuickReplies: t.QuickReplies}
			}
			if e.Direction == DirectionIn && e.Status == "" {
				e.Status, e.Error = StatusFailed, restartError
			}
			c.entries[i] = e
			s.size += entrySize(e)
		}
		s.changes++
		c.touched = s.changes
		s.convs[sc.WaID] = c
		s.order = append(s.order, sc.WaID)
	}
}

// check says what makes f not a state file the sandbox wrote, if anything.
func (f stateFile) check() error {
	if f.Version != stateVersion {
		return fmt.Errorf("format version %d, want %d", f.Version, stateVersion)
	}
	seen := map[string]bool{}
	for i, c := range f.Conversations {
		if _, ok := fakegraph.Digits(c.WaID); !ok || strings.Trim(c.WaID, "0123456789") != "" {
			return fmt.Errorf("conversation %d: wa_id %q is not a phone's digits", i, c.WaID)
		}
		if seen[c.WaID] {
			return fmt.Errorf("conversation %d: a second conversation with the same phone", i)
		}
		seen[c.WaID] = true
		for j, e := range c.Entries {
			if (e.Direction != DirectionIn && e.Direction != DirectionOut) || e.MessageID == "" || e.Kind == "" {
				return fmt.Errorf("conversation %d, message %d: direction %q, id %q, kind %q", i, j, e.Direction, e.MessageID, e.Kind)
			}
		}
	}
	return nil
}

// load reads the state file, if there is one. A file that cannot be read is an error: starting
// without it would hide the conversations of flows still waiting. A file that is not the sandbox's
// state (truncated, edited, another format) is renamed aside, with a warning naming both paths, and
// the sandbox starts empty.
func (s *Sandbox) load() error {
	path := s.opts.StateFile
	// What a crash between writing a new file and renaming it left behind.
	if tmps, err := filepath.Glob(tempPattern(path)); err == nil {
		for _, tmp := range tmps {
			_ = os.Remove(tmp)
		}
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox: reading the conversations kept in %s: %w", path, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return fmt.Errorf("sandbox: reading the conversations kept in %s: %w", path, err)
	}
	var st stateFile
	var bad error
	switch {
	case len(raw) > maxStateFile:
		bad = fmt.Errorf("larger than %d MB", maxStateFile>>20)
	default:
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&st); err != nil {
			bad = err
		} else if dec.More() {
			bad = errors.New("data after the JSON")
		} else {
			bad = st.check()
		}
	}
	if bad == nil {
		s.mu.Lock()
		s.restore(st)
		s.mu.Unlock()
		return nil
	}
	aside := fmt.Sprintf("%s.unreadable-%s", path, s.opts.Now().UTC().Format("20060102T150405Z"))
	for i := 2; ; i++ { // never over an earlier one
		if _, err := os.Lstat(aside); errors.Is(err, fs.ErrNotExist) {
			break
		}
		aside = fmt.Sprintf("%s.unreadable-%s-%d", path, s.opts.Now().UTC().Format("20060102T150405Z"), i)
	}
	if err := os.Rename(path, aside); err != nil {
		return fmt.Errorf("sandbox: the conversations kept in %s cannot be read (%v), and setting the file aside failed: %w", path, bad, err)
	}
	s.log.Warnf("sandbox: the conversations kept in %s cannot be read (%v): moved the file to %s and started without them", path, bad, aside)
	return nil
}

// tempPattern is the name of writeState's temporary files for path ('*' is random).
func tempPattern(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
}

// writeState writes f to the state file atomically: a reader, or the next start after a crash,
// sees the previous file or this one, never a part.
func writeState(path string, f stateFile) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(tempPattern(path)))
	if err != nil {
		return err
	}
	_, err = tmp.Write(buf.Bytes())
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// flush writes the state file if anything changed since the last write. Only one flush runs at
// a time: the save loop's, then Close's.
func (s *Sandbox) flush() error {
	if s.opts.StateFile == "" {
		return nil
	}
	s.mu.Lock()
	if !s.unsaved {
		s.mu.Unlock()
		return nil
	}
	f := s.snapshot()
	s.unsaved = false
	s.mu.Unlock()
	if err := writeState(s.opts.StateFile, f); err != nil {
		s.mu.Lock()
		s.unsaved = true // written again at the next change or at Close
		s.mu.Unlock()
		return fmt.Errorf("sandbox: keeping the conversations in %s: %w", s.opts.StateFile, err)
	}
	return nil
}

// saveLoop writes the state file after changes, at most once per Options.saveInterval, until Close.
// Failed writes are logged once, until a write succeeds again.
func (s *Sandbox) saveLoop() {
	defer s.wg.Done()
	failing := false
	for {
		select {
		case <-s.save:
		case <-s.ctx.Done():
			return
		}
		err := s.flush()
		switch {
		case err != nil && !failing:
			failing = true
			s.log.Warnf("%v (retried at every change)", err)
		case err == nil && failing:
			failing = false
			s.log.Infof("sandbox: the conversations are kept in %s again", s.opts.StateFile)
		}
		t := time.NewTimer(s.opts.saveInterval)
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
}

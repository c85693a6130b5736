package workflows

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The words that stop and restart a customer's messages, by language, kept here and only here:
// the webhook and the flow both read them through IsStopKeyword and IsStartKeyword. Each is a
// whole message, written as people type it; a message matches when it is one of them after
// keywordForm folds both (so "opt out" also stands for "OPT-OUT", "optout" and "Opt out 🛑").
//
// Where they come from: the opt-out words US messaging platforms honour by default (STOP,
// STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT), to which the FCC's 2024 rule on revoking consent
// adds REVOKE and OPT OUT; the opt-in words they honour (START, UNSTOP); the text of Meta's
// marketing opt-out button ("Stop promotions") and our reading of its translations; and the
// words SMS programmes in Latin America (BAJA), Brazil (SAIR, PARE) and Indonesia (UNREG,
// BERHENTI) tell subscribers to send, with the imperatives and phrases people type instead.
//
// Left out on purpose: YES (carriers' opt-in word, but here a shopper's answer to the template),
// a lone stop emoji (folds to nothing), and sentences ("stop sending me shoes", "please don't
// stop"): the rule is the whole message, so that a word inside a sentence never stops anyone.
var (
	stopWords = []languageWords{
		{"en", []string{"stop", "stop all", "stop promotions", "unsubscribe", "unsub", "cancel", "end", "quit", "opt out", "revoke"}},
		{"es", []string{"baja", "dar de baja", "darme de baja", "alto", "parar", "para", "detener", "detener promociones",
			"cancelar", "cancelar suscripción", "desuscribir", "desuscribirme"}},
		{"pt", []string{"sair", "parar", "pare", "parar promoções", "cancelar", "cancelar inscrição", "descadastrar", "descadastre"}},
		{"id", []string{"berhenti", "berhenti langganan", "berhenti berlangganan", "hentikan", "hentikan promosi",
			"batal langganan", "unreg"}},
	}
	startWords = []languageWords{
		{"en", []string{"start", "unstop", "subscribe", "opt in"}},
		{"es", []string{"alta", "dar de alta", "darme de alta", "suscribirme", "iniciar", "comenzar"}},
		{"pt", []string{"voltar", "reativar", "começar"}},
		{"id", []string{"mulai", "langganan", "berlangganan"}},
	}
)

type languageWords struct {
	language string // BCP 47, for the reader
	words    []string
}

var (
	stopKeywords  = keywordSet(stopWords)
	startKeywords = keywordSet(startWords)
)

func keywordSet(lists []languageWords) map[string]bool {
	set := map[string]bool{}
	for _, l := range lists {
		for _, w := range l.words {
			set[keywordForm(w)] = true
		}
	}
	return set
}

// IsStopKeyword reports whether a shopper's whole message asks to stop all messages: "STOP",
// "Stop!!", "stop 🛑", "opt-out", "Darme de baja", "berhenti langganan"... A pure function of
// text, safe in workflow code.
func IsStopKeyword(text string) bool { return stopKeywords[keywordForm(text)] }

// IsStartKeyword reports whether a shopper's whole message asks to receive messages again after
// a stop: "START", "unstop", "dar de alta", "mulai"... A pure function of text, safe in workflow
// code.
func IsStartKeyword(text string) bool { return startKeywords[keywordForm(text)] }

// maxKeywordMessage bounds the messages worth folding: the longest keyword, with spaces, emoji
// and punctuation around it, is far shorter.
const maxKeywordMessage = 200

// keywordForm folds a message for matching: compatibility decomposition (full-width letters
// become ASCII, accents become marks), then only letters and digits are kept, lower-cased.
// Marks, spaces, punctuation and emoji all go, so "Suscripción", "OPT-OUT" and "stop!! 🛑" are
// "suscripcion", "optout" and "stop".
func keywordForm(text string) string {
	if len(text) > maxKeywordMessage {
		return ""
	}
	var b strings.Builder
	for _, r := range norm.NFKD.String(text) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

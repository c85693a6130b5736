package workflows

import (
	"strings"
	"testing"
)

// keywordCases are messages and what they mean, by language. A message that is not a stop nor
// a start is "".
var keywordCases = map[string][]struct {
	text string
	want string // "stop", "start" or ""
}{
	"en": {
		{"STOP", "stop"}, {"stop", "stop"}, {"Stop!!", "stop"}, {"  stop.  ", "stop"}, {"Stop 🛑", "stop"},
		{"STOP ALL", "stop"}, {"stopall", "stop"}, {"Stop promotions", "stop"}, {"UNSUBSCRIBE", "stop"},
		{"unsub", "stop"}, {"Cancel", "stop"}, {"END", "stop"}, {"quit", "stop"}, {"opt out", "stop"},
		{"OPT-OUT", "stop"}, {"optout", "stop"}, {"Opt_Out!", "stop"}, {"revoke", "stop"}, {"ＳＴＯＰ", "stop"},
		{"stop?", "stop"}, {"\"stop\"", "stop"},
		{"START", "start"}, {"start", "start"}, {"Unstop", "start"}, {"subscribe", "start"}, {"opt-in", "start"},
		{"stop sending me shoes please?", ""}, {"don't stop", ""}, {"stopwatch", ""}, {"unstoppable", ""},
		{"please stop", ""}, {"stop 2", ""}, {"stop2", ""}, {"cancel my order", ""}, {"the end", ""},
		{"yes", ""}, {"1", ""}, {"2", ""}, {"", ""}, {"🛑", ""}, {"   ", ""}, {"starts", ""}, {"restart", ""},
	},
	"es": {
		{"BAJA", "stop"}, {"baja", "stop"}, {"Dar de baja", "stop"}, {"darme de baja", "stop"},
		{"ALTO", "stop"}, {"parar", "stop"}, {"¡Para!", "stop"}, {"Detener", "stop"},
		{"Detener promociones", "stop"}, {"CANCELAR", "stop"}, {"cancelar suscripción", "stop"},
		{"Cancelar suscripcion", "stop"}, {"CANCELAR SUSCRIPCIÓN", "stop"}, {"desuscribirme", "stop"},
		{"ALTA", "start"}, {"dar de alta", "start"}, {"Darme de alta", "start"}, {"suscribirme", "start"},
		{"iniciar", "start"}, {"Comenzar", "start"},
		{"no pares", ""}, {"baja la música", ""}, {"para mí", ""}, {"cancelar el pedido", ""},
		{"quiero darme de baja", ""}, {"altos", ""},
	},
	"pt": {
		{"SAIR", "stop"}, {"sair", "stop"}, {"Parar", "stop"}, {"PARE", "stop"}, {"pare!", "stop"},
		{"Parar promoções", "stop"}, {"parar promocoes", "stop"}, {"cancelar", "stop"},
		{"Cancelar inscrição", "stop"}, {"descadastrar", "stop"}, {"Descadastre", "stop"},
		{"VOLTAR", "start"}, {"reativar", "start"}, {"Começar", "start"}, {"comecar", "start"},
		{"não pare", ""}, {"sair daqui", ""}, {"pare de me mandar sapatos", ""}, {"saira", ""},
	},
	"id": {
		{"BERHENTI", "stop"}, {"berhenti", "stop"}, {"Berhenti langganan", "stop"},
		{"berhenti berlangganan", "stop"}, {"hentikan", "stop"}, {"Hentikan promosi", "stop"},
		{"batal langganan", "stop"}, {"UNREG", "stop"}, {"unreg!", "stop"},
		{"MULAI", "start"}, {"mulai", "start"}, {"langganan", "start"}, {"Berlangganan", "start"},
		{"jangan berhenti", ""}, {"berhentilah mengirim", ""}, {"batal", ""}, {"mulai lagi besok", ""},
	},
}

func TestKeywords(t *testing.T) {
	for lang, cases := range keywordCases {
		t.Run(lang, func(t *testing.T) {
			for _, c := range cases {
				stop, start := IsStopKeyword(c.text), IsStartKeyword(c.text)
				if stop != (c.want == "stop") || start != (c.want == "start") {
					t.Errorf("%q: IsStopKeyword %v, IsStartKeyword %v; want %q", c.text, stop, start, c.want)
				}
			}
		})
	}
}

// Every listed word matches as written, folds to something, and means one thing only.
func TestKeywordLists(t *testing.T) {
	for _, lists := range [][]languageWords{stopWords, startWords} {
		for _, l := range lists {
			for _, w := range l.words {
				if keywordForm(w) == "" {
					t.Errorf("%s %q folds to nothing", l.language, w)
				}
				if !IsStopKeyword(w) && !IsStartKeyword(w) {
					t.Errorf("%s %q matches neither list", l.language, w)
				}
			}
		}
	}
	for w := range stopKeywords {
		if startKeywords[w] {
			t.Errorf("%q is both a stop and a start keyword", w)
		}
	}
}

func TestKeywordFormLongMessage(t *testing.T) {
	// A long message is never a keyword, whatever it holds: it is not folded at all.
	long := "stop" + strings.Repeat(" ", maxKeywordMessage)
	if IsStopKeyword(long) {
		t.Errorf("a %d-byte message of stop and spaces matched", len(long))
	}
	if !IsStopKeyword("stop" + strings.Repeat(" ", maxKeywordMessage-10)) {
		t.Error("stop padded with spaces within the bound did not match")
	}
}

func TestKeywordFormFolds(t *testing.T) {
	for in, want := range map[string]string{
		"Cancelar Suscripción": "cancelarsuscripcion",
		"Parar promoções!":     "pararpromocoes",
		"OPT-OUT 🛑":            "optout",
		"ＳＴＯＰ":                 "stop",
		"İptal":                "iptal",
		"1️⃣":                  "1",
	} {
		if got := keywordForm(in); got != want {
			t.Errorf("keywordForm(%q) = %q, want %q", in, got, want)
		}
	}
}

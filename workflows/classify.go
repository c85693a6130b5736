package workflows

// replyWordsChange versions the classifier that understands yes and no in the shopper's words
// (yesWords, noWords) besides digits, A/B and the buttons: flows started before it classify as
// they did, since a reply's class picks the branch.
const replyWordsChange = "reply-words"

// The words that answer the template's question, by language, each a whole message as people
// type it; a reply matches after keywordForm folds both (case, accents, punctuation, emoji and
// spaces: "Sí!!", "SI", "sí 😊" are all "si"). Only whole messages count, so that "2 pares",
// "no sé" or "ya no sé" stay unrecognised and get the clarification instead of a guess.
//
// "ya" is Indonesian's yes; in Spanish it is "already", and "ya no" (no longer) is a no.
var (
	yesWords = []languageWords{
		{"en", []string{"yes", "yeah", "yep", "yup", "sure", "yes please", "still want it", "i still want it"}},
		{"es", []string{"sí", "si", "claro", "sí quiero", "si lo quiero", "lo quiero", "todavía lo quiero", "aún lo quiero"}},
		{"pt", []string{"sim", "quero", "ainda quero", "claro que sim", "sim quero"}},
		{"id", []string{"ya", "iya", "iya mau", "mau", "masih mau", "yoi"}},
	}
	noWords = []languageWords{
		{"en", []string{"no", "nope", "nah", "no thanks", "no thank you"}},
		{"es", []string{"no", "no gracias", "ya no", "ya no lo quiero"}},
		{"pt", []string{"não", "nao", "não obrigado", "não obrigada", "agora não", "não quero"}},
		{"id", []string{"tidak", "tdk", "nggak", "ngga", "gak", "ga", "enggak", "engga", "ndak", "tidak mau", "nggak mau", "gak jadi"}},
	}
	yesKeywords = keywordSet(yesWords)
	noKeywords  = keywordSet(noWords)
)

// classifyWords reads a reply by the rules of replyWordsChange: as classifyReply does under the
// consent rules (stop words and buttons, the payloads of buttons), and a typed reply by its folded
// form: 1, A, 1️⃣ and the yes words are positive; 2, B, 2️⃣ and the no words negative.
func classifyWords(r Reply, cartID string) ReplyClass {
	if c := classifyReply(r, cartID, true); c != ReplyUnrecognised || r.Payload != "" {
		return c
	}
	switch form := keywordForm(r.Text); {
	case form == "1" || form == "a" || yesKeywords[form]:
		return ReplyPositive
	case form == "2" || form == "b" || noKeywords[form]:
		return ReplyNegative
	}
	return ReplyUnrecognised
}

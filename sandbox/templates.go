package sandbox

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cartback/cartback/config"
	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/workflows"
)

// templateText is what a shopper reads of a template registered with Meta. A send names the
// template and fills in its parameters; the text itself lives at Meta, so the sandbox keeps its own
// copy to show what the shopper would see.
type templateText struct {
	Body    string   // with Meta's placeholders {{1}}, {{2}}, ... for the body parameters
	Buttons []string // the quick-reply buttons' labels, by index
	Footer  string
}

// checkInTemplates is the cart check-in template as the README's "The template to register with
// Meta" asks to register it, by language (Meta's code); a test holds the README to this text. The
// sandbox shows it for sends of Options.TemplateName, in each language of the default messages file.
var checkInTemplates = map[string]templateText{
	config.DefaultTemplateLanguage: {
		Body: "Hi {{1}}, you left something in your cart. Do you still want it? " +
			"Reply 1 (or A) if you still want it, 2 (or B) if something stopped you.",
		Buttons: []string{
			workflows.PositiveButtonIndex: "1 - Still want it",
			workflows.NegativeButtonIndex: "2 - Something stopped me",
			workflows.StopButtonIndex:     "Stop promotions",
		},
		Footer: "Reply STOP to stop these messages",
	},
	"es_MX": {
		Body: "Hola {{1}}, dejaste algo en tu carrito. ¿Todavía lo quieres? " +
			"Responde 1 (o A) si aún lo quieres, 2 (o B) si algo te detuvo.",
		Buttons: []string{
			workflows.PositiveButtonIndex: "1 - Sí, lo quiero",
			workflows.NegativeButtonIndex: "2 - Algo me detuvo",
			workflows.StopButtonIndex:     "Detener promociones",
		},
		Footer: "Responde BAJA para no recibir más mensajes",
	},
	"id": {
		Body: "Hai {{1}}, ada barang yang masih tertinggal di keranjangmu. Masih mau? " +
			"Balas 1 (atau A) kalau masih mau, 2 (atau B) kalau ada yang bikin kamu ragu.",
		Buttons: []string{
			workflows.PositiveButtonIndex: "1 - Masih mau",
			workflows.NegativeButtonIndex: "2 - Ada yang bikin ragu",
			workflows.StopButtonIndex:     "Hentikan promosi",
		},
		Footer: "Balas BERHENTI untuk berhenti menerima pesan ini",
	},
	"pt_BR": {
		Body: "Oi {{1}}, você deixou algo no seu carrinho. Ainda quer? " +
			"Responda 1 (ou A) se ainda quiser, 2 (ou B) se algo te impediu.",
		Buttons: []string{
			workflows.PositiveButtonIndex: "1 - Ainda quero",
			workflows.NegativeButtonIndex: "2 - Algo me impediu",
			workflows.StopButtonIndex:     "Parar promoções",
		},
		Footer: "Responda SAIR para não receber mais mensagens",
	},
}

// templateKey names a registered template: Meta keys templates by name and language.
type templateKey struct{ name, language string }

// knownTemplates is the table of templates whose text the sandbox shows: the check-in template
// under the name it is registered with.
func knownTemplates(checkInName string) map[templateKey]templateText {
	known := make(map[templateKey]templateText, len(checkInTemplates))
	for lang, t := range checkInTemplates {
		known[templateKey{checkInName, lang}] = t
	}
	return known
}

// placeholder is a body parameter's place in a template's text: {{1}} is the first.
var placeholder = regexp.MustCompile(`\{\{([1-9][0-9]*)\}\}`)

// fill puts params into body's placeholders. A placeholder without its parameter stays as it is,
// so that a send missing one shows it.
func fill(body string, params []string) string {
	return placeholder.ReplaceAllStringFunc(body, func(p string) string {
		n, _ := strconv.Atoi(placeholder.FindStringSubmatch(p)[1])
		if n > len(params) {
			return p
		}
		return params[n-1]
	})
}

// templateEntry fills in e, a template send, as the shopper reads it: the known text with its
// parameters, or for a template the sandbox does not know its name and parameters.
func (s *Sandbox) templateEntry(e *Entry, t *fakegraph.Template) {
	e.Template = t
	text, known := s.templates[templateKey{t.Name, t.Language}]
	e.known = known
	if known {
		e.Text, e.Footer = fill(text.Body, t.BodyParams), text.Footer
	} else {
		e.Text = t.Name
		if len(t.BodyParams) > 0 {
			e.Text += ": " + strings.Join(t.BodyParams, ", ")
		}
	}
	for i, p := range t.QuickReplies {
		if p == "" {
			continue // an index the send left out: no such button
		}
		label := fmt.Sprintf("Button %d", i)
		if known && i < len(text.Buttons) && text.Buttons[i] != "" {
			label = text.Buttons[i]
		}
		e.Buttons = append(e.Buttons, Button{Index: i, Label: label, Payload: p})
	}
}

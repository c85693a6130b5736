package workflows

import "testing"

func TestClassifyReply(t *testing.T) {
	const cart = "c_8f3a"
	for _, tc := range []struct {
		name  string
		reply Reply
		want  ReplyClass
	}{
		{"one", Reply{Text: "1"}, ReplyPositive},
		{"one with a dot", Reply{Text: "1."}, ReplyPositive},
		{"A upper", Reply{Text: "A"}, ReplyPositive},
		{"a padded", Reply{Text: " a "}, ReplyPositive},
		{"a with paren", Reply{Text: "a)"}, ReplyPositive},
		{"keycap emoji one", Reply{Text: "1\ufe0f\u20e3"}, ReplyPositive},
		{"two", Reply{Text: "2"}, ReplyNegative},
		{"B with newline", Reply{Text: "B\n"}, ReplyNegative},
		{"b with bang", Reply{Text: "b!"}, ReplyNegative},
		{"stop upper", Reply{Text: "STOP"}, ReplyStop},
		{"stop mixed with punctuation", Reply{Text: " Stop. "}, ReplyStop},
		{"stop lower", Reply{Text: "stop!!"}, ReplyStop},
		{"twelve", Reply{Text: "12"}, ReplyUnrecognised},
		{"a sentence", Reply{Text: "a little expensive"}, ReplyUnrecognised},
		{"stop inside a sentence", Reply{Text: "don't stop"}, ReplyUnrecognised},
		{"empty", Reply{}, ReplyUnrecognised},
		{"positive button", Reply{Kind: "button", Text: "2 - label ignored", Payload: "cart:c_8f3a:yes"}, ReplyPositive},
		{"negative button", Reply{Kind: "button", Payload: NegativePayload(cart)}, ReplyNegative},
		{"stop button", Reply{Kind: "button", Payload: "cart:c_8f3a:stop"}, ReplyStop},
		{"interactive positive id", Reply{Kind: "interactive", Payload: PositivePayload(cart)}, ReplyPositive},
		{"button of another cart", Reply{Kind: "button", Text: "1", Payload: "cart:c_old:yes"}, ReplyUnrecognised},
		{"button of a cart whose id is a prefix", Reply{Kind: "button", Payload: "cart:c_8f3:yes"}, ReplyUnrecognised},
		{"unknown choice", Reply{Kind: "button", Payload: "cart:c_8f3a:maybe"}, ReplyUnrecognised},
		{"foreign payload", Reply{Kind: "button", Payload: "PROMO_2024"}, ReplyUnrecognised},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassifyReply(tc.reply, cart); got != tc.want {
				t.Fatalf("ClassifyReply(%+v) = %q, want %q", tc.reply, got, tc.want)
			}
		})
	}
}

func TestPayloadsOfCartIDsWithColons(t *testing.T) {
	const cart = "shop:eu:42"
	if got := ClassifyReply(Reply{Payload: PositivePayload(cart)}, cart); got != ReplyPositive {
		t.Fatalf("positive payload of %q classified %q", cart, got)
	}
	if got := ClassifyReply(Reply{Payload: NegativePayload(cart)}, "shop:eu"); got != ReplyUnrecognised {
		t.Fatalf("payload of %q accepted for another cart: %q", cart, got)
	}
}

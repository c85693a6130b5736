package webhook

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// ourPhoneNumberID is the business number every sample is addressed to.
const ourPhoneNumberID = "106540352242922"

// readSample loads a sample payload, a path relative to this package ("testdata/x.json").
func readSample(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ts(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func TestEventsSamples(t *testing.T) {
	const waba = "102290129340398"
	msg := func(m Message) Event {
		return Event{Kind: KindMessage, WABAID: waba, PhoneNumberID: ourPhoneNumberID, Message: &m}
	}
	tests := []struct {
		sample      string
		want        []Event
		wantIgnored []Ignored
	}{
		{
			sample: "testdata/webhook_text_reply.json",
			want: []Event{msg(Message{
				ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTlCMjE3RjY0QTI0NUQ0NUE3RAA=", From: "16505551234",
				Timestamp: ts(1749416383), Kind: MessageText, Text: "1",
			})},
		},
		{
			sample: "testdata/webhook_button_template_quick_reply.json",
			want: []Event{msg(Message{
				ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBYzRUIwQzcwOTlFMTJCQzJEMzAyMTk0AA==", From: "16505551234",
				Timestamp: ts(1749416402), Kind: MessageButton, Text: "1 - Still want it", Payload: "cart:c_8f3a:yes",
				ContextID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA",
			})},
		},
		{
			sample: "testdata/webhook_status_delivered.json",
			want: []Event{{Kind: KindStatus, WABAID: waba, PhoneNumberID: ourPhoneNumberID, Status: &Status{
				MessageID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA", Status: StatusDelivered,
				Timestamp: ts(1749416305), RecipientID: "16505551234", CallbackData: "wf=abandoned-cart/c_8f3a;step=ask",
			}}},
		},
		{
			sample: "testdata/interactive_button_reply.json",
			want: []Event{msg(Message{
				ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUQ3RTcwQjE2QTlBOUE4NDgzRQA=", From: "16505551234",
				Timestamp: ts(1749416520), Kind: MessageInteractive, InteractiveType: "button_reply",
				Text: "Go to checkout", Payload: "cart:c_8f3a:checkout",
				ContextID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI3QkE0QTlDMjQ1RDg2RDlDMjAA",
			})},
		},
		{
			sample: "testdata/interactive_list_reply.json",
			want: []Event{msg(Message{
				ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTA4QjMzRjVBNjg3QzFFNjk1NQA=", From: "16505551234",
				Timestamp: ts(1749416611), Kind: MessageInteractive, InteractiveType: "list_reply",
				Text: "Size 42", Payload: "cart:c_8f3a:size:42",
				ContextID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJGNUI5MDhFNjM5NTlBQUQ3RTcA",
			})},
		},
		{
			sample: "testdata/status_failed.json",
			want: []Event{{Kind: KindStatus, WABAID: waba, PhoneNumberID: ourPhoneNumberID, Status: &Status{
				MessageID: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA", Status: StatusFailed,
				Timestamp: ts(1749416710), RecipientID: "16505551234", CallbackData: "wf=abandoned-cart/c_8f3a;step=ask",
				Errors: []Error{{
					Code:    131049,
					Title:   "This message was not delivered to maintain healthy ecosystem engagement.",
					Message: "This message was not delivered to maintain healthy ecosystem engagement.",
					Details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
				}},
			}}},
		},
		{
			sample: "testdata/user_preferences_stop.json",
			want: []Event{{Kind: KindPreference, WABAID: waba, PhoneNumberID: ourPhoneNumberID, Preference: &Preference{
				WaID: "16505551234", Category: "marketing_messages", Value: PreferenceStop,
				Detail: "User requested to stop marketing messages", Timestamp: ts(1739321024),
			}}},
		},
		{
			sample: "testdata/value_errors.json",
			want: []Event{{Kind: KindError, WABAID: waba, PhoneNumberID: ourPhoneNumberID, Error: &Error{
				Code: 130429, Title: "Rate limit hit", Message: "Rate limit hit",
				Details: "Message failed to send because there were too many messages sent from this phone number in a short period of time",
			}}},
		},
		{
			sample: "testdata/image_message.json",
			want: []Event{msg(Message{
				ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTQ2RkQ5RTc3MkJFNjY3NjVCQgA=", From: "16505551234",
				Timestamp: ts(1749416800), Kind: "image",
			})},
		},
		{
			sample: "testdata/multi_entry.json",
			want: []Event{
				msg(Message{ID: "wamid.multi.1", From: "16505551234", Timestamp: ts(1749416900), Kind: MessageText,
					Text: "hi, is the discount still on?"}),
				msg(Message{ID: "wamid.multi.2", From: "551187654321", Timestamp: ts(1749416901), Kind: MessageButton,
					Text: "1 - Still want it", Payload: "cart:c_8f3a:yes", ContextID: "wamid.sent.ask.joao"}),
				{Kind: KindMessage, WABAID: "209876543210987", PhoneNumberID: ourPhoneNumberID, Message: &Message{
					ID: "wamid.multi.3", From: "5215512345678", Timestamp: ts(1749416903), Kind: "reaction"}},
				{Kind: KindMessage, WABAID: "209876543210987", PhoneNumberID: ourPhoneNumberID, Message: &Message{
					ID: "wamid.multi.4", From: "5215512345678", Timestamp: ts(1749416904), Kind: "unsupported",
					Errors: []Error{{Code: 131051, Title: "Message type unknown", Message: "Message type unknown",
						Details: "Message type is currently not supported."}}}},
				{Kind: KindMessage, WABAID: "209876543210987", PhoneNumberID: ourPhoneNumberID, Message: &Message{
					ID: "wamid.multi.5", From: "5215512345678", Timestamp: ts(1749416905), Kind: MessageText,
					Text: "Sí, ¿cuánto cuesta el envío?", ContextID: "wamid.sent.ask.maria"}},
				{Kind: KindStatus, WABAID: "209876543210987", PhoneNumberID: ourPhoneNumberID, Status: &Status{
					MessageID: "wamid.sent.ask.maria", Status: StatusRead, Timestamp: ts(1749416899),
					RecipientID: "5215512345678", CallbackData: "wf=abandoned-cart/c_77b1;step=ask"}},
			},
			wantIgnored: []Ignored{{WABAID: "209876543210987", Field: "messages", PhoneNumberID: "109999999999999",
				Path: "entry[1].changes[0]", Reason: "phone_number_id is not ours"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			p, err := Parse(readSample(t, tt.sample))
			if err != nil {
				t.Fatal(err)
			}
			events, ignored := p.Events(ourPhoneNumberID)
			if len(events) != len(tt.want) {
				t.Fatalf("got %d events, want %d: %+v", len(events), len(tt.want), events)
			}
			for i := range events {
				if !reflect.DeepEqual(events[i], tt.want[i]) {
					t.Errorf("event %d:\n got %s\nwant %s", i, dump(events[i]), dump(tt.want[i]))
				}
			}
			if !reflect.DeepEqual(ignored, tt.wantIgnored) {
				t.Errorf("ignored = %+v, want %+v", ignored, tt.wantIgnored)
			}
		})
	}
}

func dump(e Event) string {
	switch {
	case e.Message != nil:
		return fmt.Sprintf("%s %s/%s %+v", e.Kind, e.WABAID, e.PhoneNumberID, *e.Message)
	case e.Status != nil:
		return fmt.Sprintf("%s %s/%s %+v", e.Kind, e.WABAID, e.PhoneNumberID, *e.Status)
	case e.Preference != nil:
		return fmt.Sprintf("%s %s/%s %+v", e.Kind, e.WABAID, e.PhoneNumberID, *e.Preference)
	case e.Error != nil:
		return fmt.Sprintf("%s %s/%s %+v", e.Kind, e.WABAID, e.PhoneNumberID, *e.Error)
	}
	return fmt.Sprintf("%+v", e)
}

// A payload addressed to another business number yields no events, only Ignored entries.
func TestEventsOtherPhoneNumberID(t *testing.T) {
	p, err := Parse(readSample(t, "testdata/status_failed.json"))
	if err != nil {
		t.Fatal(err)
	}
	events, ignored := p.Events("999999999999999")
	if len(events) != 0 {
		t.Fatalf("events = %+v, want none", events)
	}
	want := []Ignored{{WABAID: "102290129340398", Field: "messages", PhoneNumberID: ourPhoneNumberID, Path: "entry[0].changes[0]",
		Reason: "phone_number_id is not ours"}}
	if !reflect.DeepEqual(ignored, want) {
		t.Fatalf("ignored = %+v, want %+v", ignored, want)
	}
	// An unconfigured (empty) phone number ID must not match changes that lack metadata.
	if events, _ := p.Events(""); len(events) != 0 {
		t.Fatalf("Events(\"\") = %+v, want none", events)
	}
}

func TestEventsUnknownChangeIsIgnored(t *testing.T) {
	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"smb_message_echoes","value":{
		"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922"},"message_echoes":[{"id":"x"}]}}]}]}`
	p, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	events, ignored := p.Events(ourPhoneNumberID)
	if len(events) != 0 || len(ignored) != 1 || ignored[0].Field != "smb_message_echoes" {
		t.Fatalf("events=%+v ignored=%+v", events, ignored)
	}
}

func TestParseLenient(t *testing.T) {
	// Fields Meta may add later, at every level, must not break decoding.
	body := `{"object":"whatsapp_business_account","new_top":1,"entry":[{"id":"1","time":1749416383,"changes":[{"field":"messages",
		"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"106540352242922","new_meta":{"a":[1]}},
		"messages":[{"from":"16505551234","id":"wamid.a","timestamp":1749416383,"type":"text","text":{"body":"hi","new":true},
		"new_field":{"nested":[null,1,"x"]},"identity_key_hash":"DF2lS5v2W6x="}]}}]}]}`
	p, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	events, _ := p.Events(ourPhoneNumberID)
	if len(events) != 1 || events[0].Message.Text != "hi" || !events[0].Message.Timestamp.Equal(ts(1749416383)) {
		t.Fatalf("events = %+v", events)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
	}{
		{"empty", "", ErrMalformedPayload},
		{"whitespace", " \n", ErrMalformedPayload},
		{"not json", "object=whatsapp", ErrMalformedPayload},
		{"truncated", `{"object":"whatsapp_business_account","entry":[`, ErrMalformedPayload},
		{"array", `[]`, ErrMalformedPayload},
		{"wrong type for entry", `{"object":"whatsapp_business_account","entry":{}}`, ErrMalformedPayload},
		{"object not a string", `{"object":1,"entry":[]}`, ErrMalformedPayload},
		{"entry a string", `{"object":"whatsapp_business_account","entry":"x"}`, ErrMalformedPayload},
		{"other object", `{"object":"page","entry":[]}`, ErrUnexpectedObject},
		{"no object", `{"entry":[]}`, ErrUnexpectedObject},
		{"null", `null`, ErrUnexpectedObject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.body))
			if !errors.Is(err, tt.want) || p != nil {
				t.Fatalf("Parse = %v, %v; want nil, %v", p, err, tt.want)
			}
		})
	}
}

func TestTimestampForms(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want time.Time
	}{
		{`"1749416383"`, ts(1749416383)},
		{`1749416383`, ts(1749416383)},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
	} {
		body := `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"statuses":[{"id":"w","timestamp":` + tc.raw + `}]}}]}]}`
		p, err := Parse([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		events, _ := p.Events(ourPhoneNumberID)
		if got := events[0].Status.Timestamp; !got.Equal(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.raw, got, tc.want)
		}
	}
}

func TestNilPayloadEvents(t *testing.T) {
	var p *Payload
	if e, i := p.Events(ourPhoneNumberID); e != nil || i != nil {
		t.Fatal("nil payload must yield nothing")
	}
}

// One malformed item loses only itself: the rest of the batch is delivered, and each bad part is
// reported with its path and the decode error.
func TestEventsSkipMalformedItems(t *testing.T) {
	p, err := Parse(readSample(t, "testdata/malformed_items.json"))
	if err != nil {
		t.Fatalf("Parse: %v (a malformed item must not reject the body)", err)
	}
	events, ignored := p.Events(ourPhoneNumberID)
	var got []string
	for _, e := range events {
		switch e.Kind {
		case KindMessage:
			got = append(got, e.Message.ID)
		case KindStatus:
			got = append(got, e.Status.MessageID)
		case KindPreference:
			got = append(got, e.Preference.WaID)
		}
	}
	if want := []string{"wamid.good.1", "wamid.sent.2", "5215512345678"}; !reflect.DeepEqual(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	wantPaths := []struct{ path, field, in string }{
		{"entry[0].changes[0].value.messages[1]", "messages", "yesterday"},
		{"entry[0].changes[0].value.messages[2]", "messages", "cannot unmarshal array"},
		{"entry[0].changes[0].value.messages[3]", "messages", "cannot unmarshal number"},
		{"entry[0].changes[1].value.statuses[0]", "messages", "cannot unmarshal string"},
		{"entry[0].changes[2]", "messages", "cannot unmarshal string"},
		{"entry[1]", "", "cannot unmarshal string"},
		{"entry[2].changes[0].value.user_preferences[1]", "user_preferences", "not integer Unix seconds"},
	}
	if len(ignored) != len(wantPaths) {
		t.Fatalf("ignored %d parts, want %d: %+v", len(ignored), len(wantPaths), ignored)
	}
	for i, w := range wantPaths {
		ig := ignored[i]
		if ig.Path != w.path || ig.Field != w.field || !ig.Malformed || !strings.Contains(ig.Reason, w.in) {
			t.Errorf("ignored[%d] = %+v, want path %s, field %q, malformed, reason containing %q", i, ig, w.path, w.field, w.in)
		}
	}
}

// Every kind of notification Meta sends, one sample each: what Events makes of it.
func TestEventsEveryKind(t *testing.T) {
	const bsuid = "MX.10384756291038475629"
	events := func(t *testing.T, sample string) ([]Event, []Ignored) {
		p, err := Parse(readSample(t, sample))
		if err != nil {
			t.Fatal(err)
		}
		return p.Events(ourPhoneNumberID)
	}
	t.Run("reply with number and BSUID", func(t *testing.T) {
		ev, _ := events(t, "testdata/bsuid_reply.json")
		if len(ev) != 1 || ev[0].Message.From != "5215512345678" || ev[0].Message.UserID != bsuid {
			t.Fatalf("%+v", ev)
		}
	})
	t.Run("reply with a BSUID only", func(t *testing.T) {
		ev, _ := events(t, "testdata/bsuid_only_reply.json")
		if len(ev) != 1 || ev[0].Message.From != "" || ev[0].Message.UserID != bsuid || ev[0].Message.Payload != "cart:c_8f3a:no" {
			t.Fatalf("%+v", ev)
		}
	})
	t.Run("status with number and BSUID", func(t *testing.T) {
		ev, _ := events(t, "testdata/status_sent_bsuid.json")
		if len(ev) != 1 || ev[0].Status.RecipientID != "5215512345678" || ev[0].Status.RecipientUserID != bsuid {
			t.Fatalf("%+v", ev)
		}
	})
	t.Run("BSUID from contacts", func(t *testing.T) {
		body := `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},
			"contacts":[{"wa_id":"16505551234","user_id":"US.1"},{"wa_id":"5215512345678","user_id":"MX.2"}],
			"messages":[{"from":"5215512345678","id":"m","type":"text","text":{"body":"1"}}],
			"statuses":[{"id":"s","status":"read","recipient_user_id":"US.1"}]}}]}]}`
		p, _ := Parse([]byte(body))
		ev, _ := p.Events(ourPhoneNumberID)
		if len(ev) != 2 || ev[0].Message.UserID != "MX.2" || ev[1].Status.RecipientID != "16505551234" {
			t.Fatalf("%+v %+v", ev[0].Message, ev[1].Status)
		}
	})
	t.Run("user_changed_number", func(t *testing.T) {
		ev, _ := events(t, "testdata/system_user_changed_number.json")
		want := &SystemChange{Type: SystemChangedNumber, NewWaID: "5215587654321", UserID: "MX.20483920184756302918", PreviousUserID: bsuid}
		if len(ev) != 1 || ev[0].Message.Kind != "system" || ev[0].Message.From != "5215512345678" || !reflect.DeepEqual(ev[0].Message.System, want) {
			t.Fatalf("%+v", ev[0].Message)
		}
	})
	t.Run("user_changed_user_id", func(t *testing.T) {
		ev, _ := events(t, "testdata/system_user_changed_user_id.json")
		want := &SystemChange{Type: SystemChangedUserID, UserID: "MX.30594857201938475610", PreviousUserID: bsuid}
		if len(ev) != 1 || !reflect.DeepEqual(ev[0].Message.System, want) {
			t.Fatalf("%+v", ev[0].Message)
		}
	})
	t.Run("group message", func(t *testing.T) {
		ev, _ := events(t, "testdata/group_message.json")
		if len(ev) != 1 || ev[0].Message.GroupID == "" {
			t.Fatalf("%+v", ev)
		}
	})
	for _, tc := range []struct {
		sample, field, reason string
		warning               bool
	}{
		{"testdata/calls_connect.json", "calls", "a call notification: cartback takes no calls", false},
		{"testdata/template_status_paused.json", "message_template_status_update", "for template cart_check_in (en_US), event PAUSED", true},
		{"testdata/template_category_update.json", "template_category_update", "new category MARKETING", false},
		{"testdata/phone_number_quality_update.json", "phone_number_quality_update", "event FLAGGED, current limit TIER_1K", true},
		{"testdata/account_update.json", "account_update", "event ACCOUNT_VIOLATION", true},
		{"testdata/template_status_disabled.json", "message_template_status_update", "for template cart_check_in (es_MX), event DISABLED", true},
		{"testdata/message_template_quality_update.json", "message_template_quality_update", "for template cart_check_in (en_US), new quality RED", true},
		{"testdata/message_template_components_update.json", "message_template_components_update", "for template cart_check_in (en_US)", false},
		{"testdata/account_alerts.json", "account_alerts", "alert CRITICAL INCREASED_CAPABILITIES_ELIGIBILITY_FAILED", true},
		{"testdata/account_review_update.json", "account_review_update", "decision REJECTED", true},
		{"testdata/phone_number_name_update.json", "phone_number_name_update", "decision APPROVED:", false},
		{"testdata/business_capability_update.json", "business_capability_update", "business_capability_update notification: acknowledged", false},
		{"testdata/business_username_update.json", "business_username_update", "status approved", false},
		{"testdata/security.json", "security", "event PIN_CHANGED", false},
		{"testdata/partner_solutions.json", "partner_solutions", "event SOLUTION_CREATED", false},
		{"testdata/payment_configuration_update.json", "payment_configuration_update", "status Active", false},
		{"testdata/automatic_events.json", "automatic_events", "automatic_events notification: acknowledged", false},
		{"testdata/history.json", "history", "chat history: not a customer's reply", false},
		{"testdata/smb_message_echoes.json", "smb_message_echoes", "not a customer's reply", false},
		{"testdata/smb_app_state_sync.json", "smb_app_state_sync", "cartback keeps none", false},
		{"testdata/group_lifecycle_update.json", "group_lifecycle_update", "cartback runs no groups", false},
	} {
		t.Run(tc.sample, func(t *testing.T) {
			ev, ig := events(t, tc.sample)
			if len(ev) != 0 || len(ig) != 1 {
				t.Fatalf("events %+v ignored %+v: want one notification acknowledged, nothing for a flow", ev, ig)
			}
			if ig[0].Field != tc.field || !strings.Contains(ig[0].Reason, tc.reason) || ig[0].Warning != tc.warning || ig[0].Malformed {
				t.Errorf("%+v, want field %s, reason with %q, warning %v", ig[0], tc.field, tc.reason, tc.warning)
			}
		})
	}
}

// Every sample in testdata gets a defined treatment: only messages and user_preferences changes
// yield events, and every other change is acknowledged with its field and a reason of its own
// (never "phone_number_id is not ours" for a notification that carries no metadata).
func TestEverySampleHasATreatment(t *testing.T) {
	names, err := filepath.Glob("testdata/*.json")
	if err != nil || len(names) < 30 {
		t.Fatalf("%d samples, %v", len(names), err)
	}
	for _, name := range names {
		p, err := Parse(readSample(t, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		events, ignored := p.Events(ourPhoneNumberID)
		if len(events) == 0 && len(ignored) == 0 {
			t.Errorf("%s: neither events nor a reason", name)
		}
		for _, ig := range ignored {
			notice := ig.Field != FieldMessages && ig.Field != FieldUserPreferences && !ig.Malformed
			if ig.Reason == "" || (notice && strings.Contains(ig.Reason, "phone_number_id")) {
				t.Errorf("%s: %+v, want the notification's own reason", name, ig)
			}
		}
	}
}

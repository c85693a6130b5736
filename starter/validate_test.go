package starter

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cartback/cartback/workflows"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const validCart = `{
  "cart_id": "c_8f3a",
  "customer": {"phone": "+52 55 1234 5678", "name": "Sheena Nelson", "locale": "es_MX",
               "opt_in": {"at": "2026-02-01T10:00:00-06:00", "source": "checkout_checkbox"}},
  "items": [{"sku": "SHOE-1", "name": "Blue Trail Running Shoes", "quantity": 2, "unit_price": "0.29"},
            {"name": "Socks", "quantity": 1, "unit_price": 5}],
  "currency": "mxn",
  "total": 5.58,
  "cart_url": "https://shop.example.com/cart/c_8f3a"
}`

func TestNormalizeValidCart(t *testing.T) {
	c, err := DecodeCart([]byte(validCart))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Normalize(c, testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := workflows.Input{
		Cart: workflows.Cart{
			ID: "c_8f3a", Currency: "MXN", TotalMinor: 558, URL: "https://shop.example.com/cart/c_8f3a",
			Items: []workflows.Item{
				{SKU: "SHOE-1", Name: "Blue Trail Running Shoes", Quantity: 2, UnitPriceMinor: 29},
				{Name: "Socks", Quantity: 1, UnitPriceMinor: 500},
			},
		},
		Customer: workflows.Customer{
			Phone: "+525512345678", Name: "Sheena Nelson", Locale: "es_MX",
			OptIn: workflows.OptIn{At: time.Date(2026, 2, 1, 16, 0, 0, 0, time.UTC), Source: "checkout_checkbox"},
		},
	}
	if !equalInput(got, want) {
		t.Errorf("Normalize:\n got %+v\nwant %+v", got, want)
	}
}

func equalInput(a, b workflows.Input) bool {
	return a.Cart.ID == b.Cart.ID && a.Cart.Currency == b.Cart.Currency && a.Cart.TotalMinor == b.Cart.TotalMinor &&
		a.Cart.URL == b.Cart.URL && slices.Equal(a.Cart.Items, b.Cart.Items) && sameCustomer(a.Customer, b.Customer) &&
		a.Customer.OptIn.At.Location() == time.UTC
}

func TestNormalizeListsEveryBadField(t *testing.T) {
	for name, tc := range map[string]struct {
		edit   func(*Cart)
		fields []string
	}{
		"missing cart id":     {func(c *Cart) { c.CartID = " " }, []string{"cart_id"}},
		"quote in cart id":    {func(c *Cart) { c.CartID = "c'1" }, []string{"cart_id"}},
		"regexp-shaped phone": {func(c *Cart) { c.Customer.Phone = "+1 555 000 0000" }, []string{"customer.phone"}},
		"phone without +":     {func(c *Cart) { c.Customer.Phone = "5512345678" }, []string{"customer.phone"}},
		"no name":             {func(c *Cart) { c.Customer.Name = "" }, []string{"customer.name"}},
		"bad locale":          {func(c *Cart) { c.Customer.Locale = "english" }, []string{"customer.locale"}},
		"no opt-in":           {func(c *Cart) { c.Customer.OptIn = nil }, []string{"customer.opt_in"}},
		"future opt-in": {func(c *Cart) { c.Customer.OptIn.At = testNow.Add(time.Hour).Format(time.RFC3339) },
			[]string{"customer.opt_in.at"}},
		"opt-in not a time": {func(c *Cart) { c.Customer.OptIn.At = "yesterday" }, []string{"customer.opt_in.at"}},
		"opt-in no source":  {func(c *Cart) { c.Customer.OptIn.Source = "" }, []string{"customer.opt_in.source"}},
		"unknown currency":  {func(c *Cart) { c.Currency = "ABC" }, []string{"currency"}},
		"no items":          {func(c *Cart) { c.Items = nil }, []string{"items"}},
		"zero quantity":     {func(c *Cart) { c.Items[1].Quantity = 0 }, []string{"items[1].quantity"}},
		"negative quantity": {func(c *Cart) { c.Items[0].Quantity = -2 }, []string{"items[0].quantity"}},
		"inexact price":     {func(c *Cart) { c.Items[0].UnitPrice = "0.295" }, []string{"items[0].unit_price"}},
		"missing price":     {func(c *Cart) { c.Items[0].UnitPrice = "" }, []string{"items[0].unit_price"}},
		"missing total":     {func(c *Cart) { c.Total = "" }, []string{"total"}},
		"line overflows": {func(c *Cart) { c.Items[1].UnitPrice, c.Items[1].Quantity = "92233720368547758", 2 },
			[]string{"items[1].unit_price"}},
		"lines add up past int64": {func(c *Cart) {
			c.Items[0].UnitPrice, c.Items[0].Quantity, c.Items[1].UnitPrice = "92233720368547758", 1, "1"
		},
			[]string{"items"}},
		"ftp url":      {func(c *Cart) { c.CartURL = "ftp://shop.example.com/c" }, []string{"cart_url"}},
		"relative url": {func(c *Cart) { c.CartURL = "/cart/c_8f3a" }, []string{"cart_url"}},
		"several at once": {func(c *Cart) { c.CartID, c.Customer.Phone, c.Items[0].Name = "", "+1", "" },
			[]string{"cart_id", "customer.phone", "items[0].name"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := DecodeCart([]byte(validCart))
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&c)
			_, err = Normalize(c, testNow)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Normalize = %v, want a *ValidationError", err)
			}
			if got := slices.Sorted(maps.Keys(ve.Fields)); !slices.Equal(got, tc.fields) {
				t.Errorf("bad fields = %v, want %v (%v)", got, tc.fields, ve)
			}
		})
	}
}

func TestValidationErrorNamesNoNumber(t *testing.T) {
	c, _ := DecodeCart([]byte(validCart))
	c.Customer.Phone = "+52 55 1234 567"
	_, err := Normalize(c, testNow)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, digits := range []string{"1234567", "551234"} {
		if strings.Contains(err.Error(), digits) {
			t.Errorf("error %q holds the number", err)
		}
	}
}

func TestRecentRunsEvictsOldest(t *testing.T) {
	r := newRecentRuns(2)
	for _, id := range []string{"a", "b", "a", "c"} {
		r.add(Run{CartID: id, WorkflowID: "wf-" + id})
	}
	if _, ok := r.get("a"); ok {
		t.Error("a was the oldest and should be evicted")
	}
	r.remove("b")
	r.add(Run{CartID: "d"})
	for _, id := range []string{"c", "d"} {
		if _, ok := r.get(id); !ok {
			t.Errorf("%s was evicted", id)
		}
	}
}

// TestTimeZones: the cart's customer.time_zone decides the zone the send is timed by; without it,
// the number's zones (libphonenumber); a name that is no IANA zone is refused.
func TestTimeZones(t *testing.T) {
	cart := func(phone, zone string) Cart {
		c, err := DecodeCart([]byte(validCart))
		if err != nil {
			t.Fatal(err)
		}
		c.Customer.Phone, c.Customer.TimeZone = phone, zone
		return c
	}
	for _, tc := range []struct {
		phone, zone string
		want        []string
	}{
		{"+52 55 1234 5678", "", []string{"America/Mexico_City"}},
		{"+62 811 234 567", "", []string{"Asia/Jakarta", "Asia/Makassar"}},
		{"+52 55 1234 5678", " America/Tijuana ", []string{"America/Tijuana"}},
	} {
		in, err := Normalize(cart(tc.phone, tc.zone), testNow)
		if err != nil || !slices.Equal(in.Customer.TimeZones, tc.want) {
			t.Errorf("%s %q: zones %v (%v), want %v", tc.phone, tc.zone, in.Customer.TimeZones, err, tc.want)
		}
	}
	for _, bad := range []string{"Mars/Olympus_Mons", "Local", "+06:00", "../../etc/passwd"} {
		_, err := Normalize(cart("+52 55 1234 5678", bad), testNow)
		var v *ValidationError
		if !errors.As(err, &v) || v.Fields["customer.time_zone"] == "" {
			t.Errorf("time_zone %q: %v, want a customer.time_zone error", bad, err)
		}
	}
}

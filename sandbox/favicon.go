package sandbox

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"sync"
)

// faviconPNG is the sandbox's icon, a 32×32 PNG drawn once: a green speech bubble, WhatsApp's
// colour, so that the tab is recognisable and browsers asking for /favicon.ico get an answer.
var faviconPNG = sync.OnceValue(func() []byte {
	const size = 32
	green := color.NRGBA{0x25, 0xd3, 0x66, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			dx, dy := x-15, y-14
			switch d := dx*dx + dy*dy; {
			case d <= 13*13 && d >= 10*10, d <= 4*4: // a ring and a dot
				img.Set(x, y, green)
			case d < 10*10:
				img.Set(x, y, white)
			case x <= 8 && y >= 22 && x+y >= 26 && x+y <= 31: // the bubble's tail, bottom left
				img.Set(x, y, green)
			}
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding an in-memory image cannot fail
	return buf.Bytes()
})

// serveFavicon answers /favicon.ico and the page's icon link.
func serveFavicon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(faviconPNG())
}

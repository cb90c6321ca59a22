package distribution

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
)

// FontPackage is the Debian package whose font share posters use when
// BANYAN_FONT_FILE is not set (make run and make test install it).
const FontPackage = "fonts-wqy-microhei"

// fontFiles are the CJK fonts of Debian's fonts-wqy-microhei,
// fonts-wqy-zenhei and fonts-noto-cjk, in order of preference.
var fontFiles = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}

var posterFont struct {
	once sync.Once
	font *opentype.Font
	file string
}

// loadPosterFont loads the poster font once: BANYAN_FONT_FILE if set, else
// the first of fontFiles that exists. Nil when there is none (or it does
// not parse): posters then use the Latin-only bitmap face and one warning
// is logged.
func loadPosterFont(log *slog.Logger) (*opentype.Font, string) {
	posterFont.once.Do(func() {
		if log == nil {
			log = slog.Default()
		}
		path := os.Getenv("BANYAN_FONT_FILE")
		if path == "" {
			for _, p := range fontFiles {
				if _, err := os.Stat(p); err == nil {
					path = p
					break
				}
			}
		}
		if path == "" {
			log.Warn("no CJK font found: share posters render Chinese text as '?'; install the Debian package "+FontPackage+
				" (apt-get install -y "+FontPackage+") or set BANYAN_FONT_FILE", "looked_for", fontFiles)
			return
		}
		f, err := parseFontFile(path)
		if err != nil {
			log.Warn("cannot load the poster font: share posters render Chinese text as '?'; install the Debian package "+FontPackage+
				" or point BANYAN_FONT_FILE at a TrueType/OpenType font", "file", path, "err", err)
			return
		}
		posterFont.font, posterFont.file = f, path
	})
	return posterFont.font, posterFont.file
}

// PosterFontFile loads the poster font if not yet loaded and returns its
// path: "" when posters fall back to the Latin-only bitmap face.
func PosterFontFile() string {
	_, file := loadPosterFont(nil)
	return file
}

// parseFontFile parses a .ttf/.otf, or font 0 of a .ttc/.otc collection.
// golang.org/x/image/font/sfnt refuses tables that do not start on a
// 4-byte boundary (golang/go#46384), as in Debian's WenQuanYi fonts: such
// a font is parsed again with its tables copied to aligned offsets.
func parseFontFile(path string) (*opentype.Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f *opentype.Font
	if bytes.HasPrefix(b, []byte("ttcf")) {
		var c *opentype.Collection
		if c, err = opentype.ParseCollection(b); err == nil {
			if c.NumFonts() == 0 {
				return nil, fmt.Errorf("%s: empty font collection", path)
			}
			f, err = c.Font(0)
		}
	} else {
		f, err = opentype.Parse(b)
	}
	if err == nil {
		return f, nil
	}
	if aligned, ok := alignTables(b); ok {
		if f, err2 := opentype.Parse(aligned); err2 == nil {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", path, err)
}

// alignTables returns font 0 of b (a font or a collection) as a standalone
// font whose tables start on 4-byte boundaries. Table contents use
// offsets relative to themselves, so they are copied unchanged.
func alignTables(b []byte) ([]byte, bool) {
	be := binary.BigEndian
	var off uint64
	if bytes.HasPrefix(b, []byte("ttcf")) {
		if len(b) < 16 || be.Uint32(b[8:]) == 0 {
			return nil, false
		}
		off = uint64(be.Uint32(b[12:]))
	}
	if off+12 > uint64(len(b)) {
		return nil, false
	}
	n := uint64(be.Uint16(b[off+4:]))
	if n == 0 || off+12+16*n > uint64(len(b)) {
		return nil, false
	}
	type record struct{ tag, sum, off, n uint32 }
	recs := make([]record, n)
	for i := range recs {
		r := b[off+12+16*uint64(i):]
		recs[i] = record{be.Uint32(r), be.Uint32(r[4:]), be.Uint32(r[8:]), be.Uint32(r[12:])}
		if uint64(recs[i].off)+uint64(recs[i].n) > uint64(len(b)) {
			return nil, false
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].tag < recs[j].tag })
	out := make([]byte, 12+16*n, uint64(len(b))+4*n)
	copy(out, b[off:off+12])
	for i, r := range recs {
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		w := out[12+16*i:]
		be.PutUint32(w, r.tag)
		be.PutUint32(w[4:], r.sum)
		be.PutUint32(w[8:], uint32(len(out)))
		be.PutUint32(w[12:], r.n)
		out = append(out, b[r.off:r.off+r.n]...)
	}
	return out, true
}

// posterFace is a face of the poster font at size pixels, nil without a
// font. A face is not safe for concurrent use: one per poster.
func (s *Service) posterFace(size float64) font.Face {
	f, _ := loadPosterFont(s.Log)
	if f == nil {
		return nil
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil
	}
	return face
}

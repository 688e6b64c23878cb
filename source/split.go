package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"

	"golang.org/x/sync/errgroup"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/resource"
)

// A large file is read on every core, as a folder is: its documents, and the items of a List in
// it (one `kubectl get -A -o yaml` is a single List of the whole cluster), are cut into parts of
// about the same size, each part a stream of whole documents that a Builder of its own reads,
// under the file's name. The parts are put together in order, so that the objects, the kinds
// skipped and the warnings are those of one Builder reading the file. When any part has an
// error, the file is read again whole, by one Builder, so that the error is said in the words
// and with the places (a line of the file, a List's items[i]) kubectl would give. The cutting
// is done here, on lines and JSON tokens, because every YAML library parses a document whole,
// which is the very cost to be spread over the cores.

// splitMin is the size from which a local file is cut into parts; smaller files are read whole.
var splitMin int64 = 1 << 20

// partMin is the least size of a part: below it a part costs more to set up than it saves.
// (Variables, so that tests cut small files.)
var partMin = 256 << 10

// readUnit is what one Builder reads: a whole file, or a part of one.
type readUnit struct {
	file string
	// part is the part's bytes, in pieces, in order (nil: the whole file, read by the Builder
	// from disk); first says which unit of a split file is its first part, parts how many it has.
	part  [][]byte
	first bool
	parts int
}

// readUnits are the units that files are read in, in order: a file of splitMin bytes or more is
// cut into parts (at most 4 a worker) when it can be; any other file is one unit.
func readUnits(files []string, workers int) []readUnit {
	var units []readUnit
	for _, file := range files {
		if info, err := os.Stat(file); err == nil && info.Mode().IsRegular() && info.Size() >= splitMin {
			if data, err := os.ReadFile(file); err == nil {
				parts := splitStream(data, min(4*workers, max(2, len(data)/partMin)))
				for i, part := range parts {
					units = append(units, readUnit{file: file, part: part, first: i == 0, parts: len(parts)})
				}
				if len(parts) > 0 {
					continue
				}
			}
		}
		units = append(units, readUnit{file: file})
	}
	return units
}

// read reads the unit with a Builder of its own: the same decoding, Lists flattened alike, the
// same errors in the same words as one Builder reading every file.
func (u readUnit) read(defaultNamespace string) *fileRead {
	b := resource.NewLocalBuilder().Unstructured()
	if u.part == nil {
		b = b.FilenameParam(false, &resource.FilenameOptions{Filenames: []string{u.file}})
	} else {
		readers := make([]io.Reader, len(u.part))
		for i, p := range u.part {
			readers[i] = bytes.NewReader(p)
		}
		b = b.Stream(io.MultiReader(readers...), u.file) // named as the file: info.Source is the path
	}
	r := &fileRead{}
	r.visit(b.ContinueOnError().Do(), defaultNamespace)
	return r
}

// readConcurrently reads units, at most workers at a time, and puts their reads in order. A
// split file of which a part had an error is read again whole.
func readConcurrently(units []readUnit, workers int, defaultNamespace string) []*fileRead {
	reads := make([]*fileRead, len(units))
	var g errgroup.Group
	g.SetLimit(workers)
	for i, u := range units {
		g.Go(func() error {
			reads[i] = u.read(defaultNamespace)
			return nil
		})
	}
	_ = g.Wait() // the errors are in reads
	for i := 0; i < len(units); i++ {
		u := units[i]
		if u.part == nil || !u.first {
			continue
		}
		failed := false
		for _, r := range reads[i : i+u.parts] {
			failed = failed || len(r.objErrs) > 0 || len(r.readErrs) > 0
		}
		if failed {
			reads[i] = readUnit{file: u.file}.read(defaultNamespace)
			for j := i + 1; j < i+u.parts; j++ {
				reads[j] = &fileRead{}
			}
		}
		i += u.parts - 1
	}
	return reads
}

// splitStream cuts a file's data, as the Builder decodes it (a stream of JSON objects when it
// starts with "{", else YAML documents), into about n parts, each a stream of whole documents:
// its documents, and Lists' items as Lists of their own. nil when it cannot be cut: a byte order
// mark (the Builder transcodes UTF-16), one document that is not a List in a form cut here, or
// anything that does not read; the Builder then reads the file whole, and says what is wrong.
func splitStream(data []byte, n int) [][][]byte {
	if n < 2 || bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return nil
	}
	target := max(len(data)/n, 1)
	var docs [][][]byte // each a whole document, in pieces, in order
	var sep []byte
	if utilyaml.IsJSONBuffer(data[:min(len(data), 4096)]) { // as GuessJSONStream peeks
		for _, d := range splitJSON(data, target) {
			docs = append(docs, [][]byte{d})
		}
		sep = []byte("\n")
	} else {
		docs, sep = splitYAML(data, target), []byte("---\n")
	}
	if len(docs) < 2 {
		return nil
	}
	var parts [][][]byte
	var part [][]byte
	size := 0
	for _, d := range docs {
		if len(part) > 0 {
			part = append(part, sep)
		}
		part = append(part, d...)
		for _, p := range d {
			size += len(p)
		}
		if size >= target {
			parts, part, size = append(parts, part), nil, 0
		}
	}
	if len(part) > 0 {
		parts = append(parts, part)
	}
	if len(parts) < 2 {
		return nil
	}
	return parts
}

// splitYAML is the YAML documents of data, as the Builder's reader splits them (and writes their
// lines: each ends in a newline), with a List of more than target bytes cut into Lists of about
// target bytes. A document is in pieces: a List's keys before its items, some of the items,
// its keys after them.
func splitYAML(data []byte, target int) [][][]byte {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			return nil
		}
		if t := bytes.TrimLeft(doc, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			return nil // a JSON document: a part that starts with it would be read as JSON
		}
		if !bytes.HasSuffix(doc, []byte("\n")) {
			doc = append(doc, '\n')
		}
		if len(doc) > target {
			if lists := splitYAMLList(doc, target); lists != nil {
				docs = append(docs, lists...)
				continue
			}
		}
		docs = append(docs, [][]byte{doc})
	}
}

// splitYAMLList cuts a YAML document whose top-level `items:` is a block sequence (as kubectl
// writes a List, at the key's indentation or indented) into documents of about target bytes,
// each the document with some of the items: the same keys around them, the items in order.
// nil when the document is not of that form, as far as lines show it: the items are the lines
// that start with "- " at the sequence's indentation; a line less indented than the items'
// contents ends the sequence at column 0 and is not cut otherwise. (A quoted string that spans
// lines and starts one with "- " there would be cut wrongly, and a part would not read: the file
// is then read whole.) doc's lines end in a newline, as the Builder's reader gives them.
func splitYAMLList(doc []byte, target int) [][][]byte {
	block := -1      // where the items begin: after the "items:" line
	end := -1        // where they end
	indent := -1     // of the sequence's "- "
	var starts []int // where each item begins
	for off := 0; off < len(doc); {
		next := len(doc)
		if i := bytes.IndexByte(doc[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		l := doc[off:next]
		line := off
		off = next
		if block < 0 || end >= 0 { // outside the items: the key, once
			if string(bytes.TrimRight(l, " \t\r\n")) == "items:" {
				if block >= 0 {
					return nil // twice: not cut
				}
				block = next
			}
			continue
		}
		body := bytes.TrimLeft(l, " ")
		n := len(l) - len(body)
		blank := len(bytes.TrimSpace(body)) == 0
		switch {
		case len(body) > 0 && body[0] == '\t':
			return nil
		case blank, body[0] == '#' && (indent < 0 || n <= indent):
			continue // a comment between items goes with the one before
		case indent >= 0 && n > indent:
			continue // inside an item
		}
		isItem := body[0] == '-' && (len(body) == 1 || body[1] == ' ' || body[1] == '\n' || body[1] == '\r')
		switch {
		case indent < 0 && isItem:
			indent = n
			starts = append(starts, line)
		case isItem && n == indent:
			starts = append(starts, line)
		case n == 0:
			if string(bytes.TrimRight(l, " \t\r\n")) == "items:" {
				return nil // twice: not cut
			}
			end = line // the next top-level key
		default:
			return nil
		}
	}
	if end < 0 {
		end = len(doc)
	}
	if len(starts) < 2 {
		return nil
	}
	prefix, suffix := doc[:starts[0]], doc[end:]
	var lists [][][]byte
	from := 0
	for k := range starts {
		to := end
		if k+1 < len(starts) {
			to = starts[k+1]
		}
		if to-starts[from] >= target || k+1 == len(starts) {
			lists = append(lists, [][]byte{prefix, doc[starts[from]:to], suffix})
			from = k + 1
		}
	}
	if len(lists) < 2 {
		return nil
	}
	return lists
}

// splitJSON is the JSON objects of a stream, as the Builder's JSON decoder reads them, with the
// objects of more than target bytes that have an "items" array cut into objects of about target
// bytes, each with the same other members and some of the items, in order. nil when anything
// does not read as a stream of objects.
func splitJSON(data []byte, target int) [][]byte {
	dec := json.NewDecoder(bytes.NewReader(data))
	var docs [][]byte
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil || tok != json.Delim('{') {
			return nil
		}
		type member struct {
			key   []byte
			value json.RawMessage
		}
		var members []member
		var items []json.RawMessage
		itemsAt := -1
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil
			}
			key, ok := tok.(string)
			if !ok {
				return nil
			}
			quoted, _ := json.Marshal(key)
			if key == "items" && itemsAt < 0 {
				if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
					return nil // an items that is no array: read whole
				}
				for dec.More() {
					var item json.RawMessage
					if err := dec.Decode(&item); err != nil {
						return nil
					}
					items = append(items, item)
				}
				if _, err := dec.Token(); err != nil {
					return nil
				}
				itemsAt = len(members)
				members = append(members, member{key: quoted})
				continue
			}
			var value json.RawMessage
			if err := dec.Decode(&value); err != nil {
				return nil
			}
			if key == "items" {
				return nil // twice: the last one counts, not cut
			}
			members = append(members, member{quoted, value})
		}
		if _, err := dec.Token(); err != nil {
			return nil
		}
		whole := data[start:dec.InputOffset()]
		if itemsAt < 0 || len(whole) <= target || len(items) < 2 {
			docs = append(docs, bytes.TrimSpace(whole))
			continue
		}
		// The object again, with a share of the items each time.
		from, size := 0, 0
		for k, item := range items {
			size += len(item)
			if size < target && k+1 < len(items) {
				continue
			}
			var b bytes.Buffer
			b.WriteByte('{')
			for i, m := range members {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(m.key)
				b.WriteByte(':')
				if i != itemsAt {
					b.Write(m.value)
					continue
				}
				b.WriteByte('[')
				for j, it := range items[from : k+1] {
					if j > 0 {
						b.WriteByte(',')
					}
					b.Write(it)
				}
				b.WriteByte(']')
			}
			b.WriteByte('}')
			docs = append(docs, b.Bytes())
			from, size = k+1, 0
		}
	}
}

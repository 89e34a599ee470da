"""Writes an F32 copy of a GGUF model (same metadata, every tensor dequantized).

  /usr/bin/python3 tools/train/dequant.py examples/reasoner.gguf build/reasoner-from-q8.gguf

The committed reasoner model is Q8_0; `l1 quantize` reads F32, F16 or BF16,
so other types (Q4_K_M ...) are made from this copy.  Uses gguf-py (see
export.py for where it is found).
"""
import sys

import numpy as np

import export  # noqa: F401  (puts gguf-py on the path)
import gguf


def main():
    src, dst = sys.argv[1], sys.argv[2]
    r = gguf.GGUFReader(src)
    arch = r.get_field("general.architecture").contents()
    w = gguf.GGUFWriter(dst, arch)
    for key, f in r.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        if key == "general.file_type":
            w.add_uint32(key, 0)
            continue
        vtype = f.types[0]
        sub = f.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        w.add_key_value(key, f.contents(), vtype, sub_type=sub)
    for t in r.tensors:
        shape = tuple(int(x) for x in reversed(t.shape))  # numpy order: rows last-to-first
        vals = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape)
        w.add_tensor(t.name, vals)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()

# Plain files written by numpy and PyTorch themselves, for `tessera scan`'s no-false-positive tests:
# every one must scan SAFE. Run with Debian's python3 (numpy, PyTorch 1.13):
#   /usr/bin/python3 test/pickle/scan-corpus/make-real.py
# Tests never need Python; the outputs are committed.
import collections, os
import numpy as np
import torch

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'real')
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)
rng = np.random.default_rng(12)

np.save(p('float32.npy'), rng.standard_normal((3, 4)).astype(np.float32))
np.save(p('int64_big_endian.npy'), np.arange(6, dtype='>i8').reshape(2, 3))
np.save(p('unicode.npy'), np.array(['a', 'bcd', 'éé']))
np.save(p('structured.npy'), np.zeros(3, dtype=[('x', '<f4'), ('O', '<i2')]))  # a field named O is not an object
np.save(p('object_plain.npy'), np.array([1, 'two', [3.0], {'four': 4}, None], dtype=object), allow_pickle=True)
np.save(p('object_structured.npy'), np.array([(1.5, 'x')], dtype=[('a', '<f8'), ('b', 'O')]), allow_pickle=True)
np.savez(p('arrays.npz'), a=np.arange(5, dtype=np.float32), b=np.eye(2))
np.savez_compressed(p('arrays_compressed.npz'), a=np.arange(7, dtype=np.int16), b=np.ones((2, 2), dtype=np.float64))
np.savez(p('object.npz'), o=np.array([{'k': 1}, 'v'], dtype=object), f=np.ones(2, dtype=np.float32))

torch.manual_seed(0)
sd = collections.OrderedDict(w=torch.randn(2, 3), b=torch.zeros(3, dtype=torch.float16), n=torch.tensor(7))
torch.save(sd, p('state_dict.pt'))
torch.save({'model': sd, 'epoch': 3, 'lr': 0.1, 'name': 'm'}, p('checkpoint_legacy.pt'), _use_new_zipfile_serialization=False)
torch.save(torch.nn.Linear(2, 2).state_dict(), p('linear_p2.pt'), pickle_protocol=2)
torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), p('linear_script.pt'))

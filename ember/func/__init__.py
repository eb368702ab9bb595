"""``ember.func``: composable function transforms, as torch.func.

``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd``, ``hessian``, ``jvp`` and
``linearize`` turn a function of tensors into its derivative; ``vmap`` maps a function over
a dimension of its inputs; ``functional_call`` runs a module with tensors of your choosing
in place of its parameters. They nest freely.

>>> import ember
>>> from ember.func import grad, vmap
>>> x = ember.tensor([1.0, 2.0])
>>> grad(lambda t: (t ** 3).sum())(x)
tensor([ 3., 12.])
>>> vmap(grad(lambda t: t ** 3))(x)
tensor([ 3., 12.])
>>> grad(grad(lambda t: t ** 3))(ember.tensor(2.0))
tensor(12.)
"""

from ._modules import functional_call, stack_module_state
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "hessian", "jvp", "linearize",
           "vmap", "functional_call", "stack_module_state"]

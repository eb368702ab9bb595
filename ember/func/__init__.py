"""``ember.func``: function transforms (grad, vjp, jacrev, hessian, vmap, functional_call), as torch.func."""

__all__: list = []

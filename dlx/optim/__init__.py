"""Optimizers: torch.optim where it implements the course's algorithm, the course's own forms where it
does not (course.py: momentum, Nesterov, RMSProp, RMSProp+Nesterov; second_order.py: Newton, CG, BFGS),
and the LR schedules."""

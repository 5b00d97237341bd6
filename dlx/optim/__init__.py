"""Optimizers (torch.optim where it exists, the course's algorithms it lacks) and LR schedules."""

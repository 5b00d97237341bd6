"""Model families. Each is a plain nn.Module whose constructor arguments are its YAML keys, plus
``in_shape`` (one example's shape, e.g. (1, 8, 8)) and ``n_out`` (classes or regression width), which the
loop passes from the dataset."""

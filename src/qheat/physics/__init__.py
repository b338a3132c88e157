"""Pure numerics: linear algebra, states, thermodynamic quantities, tomography fits, open systems."""

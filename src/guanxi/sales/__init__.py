"""Sales (SAL-1 … SAL-11, CUS-10): leads, pipelines and opportunities, territories, products and
price lists, quotes, contracts, orders, commission, expenses and the playbook."""

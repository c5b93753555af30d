"""Customer permissions and the role policy (CORE-1, CORE-2). Contacts follow their customer."""

from guanxi.core.permissions import Perm, Scope, register_policy
from guanxi.core.roles import Role


class CustomerPerm(Perm):
    VIEW = "customers.view"
    CREATE = "customers.create"
    CHANGE = "customers.change"
    DELETE = "customers.delete"
    EXPORT = "customers.export"
    IMPORT = "customers.import"
    MERGE = "customers.merge"


_ALL = {perm: Scope.ALL for perm in CustomerPerm}
_STORE = {perm: Scope.STORE for perm in CustomerPerm}

# Sales reps see their team's customers but change only their own; service and cashier
# staff see their store's customers (they serve them at the counter) and change their own.
POLICY = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL,
    Role.MANAGER: _STORE,
    Role.SALES: {CustomerPerm.VIEW: Scope.TEAM, CustomerPerm.CREATE: Scope.OWN, CustomerPerm.CHANGE: Scope.OWN},
    Role.SERVICE: {CustomerPerm.VIEW: Scope.STORE, CustomerPerm.CREATE: Scope.OWN, CustomerPerm.CHANGE: Scope.OWN},
    Role.CASHIER: {CustomerPerm.VIEW: Scope.STORE, CustomerPerm.CREATE: Scope.OWN, CustomerPerm.CHANGE: Scope.OWN},
    Role.MARKETING: {CustomerPerm.VIEW: Scope.ALL, CustomerPerm.EXPORT: Scope.ALL},
    Role.READ_ONLY: {CustomerPerm.VIEW: Scope.ALL},
}
register_policy(POLICY)

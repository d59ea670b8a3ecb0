select *
from "My Table
